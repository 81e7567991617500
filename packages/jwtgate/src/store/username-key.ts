// How usernames compare, in one place for both stores: a user types "Alice", "alice " or the
// full-width "Ａｌｉｃｅ" and means the same account.

/** The username as stored: NFKC (compatibility forms folded, so look-alike encodings are one name), trimmed. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim();
}

/**
 * The key usernames are unique by and looked up with: the normalized name, lowercased.
 * `toLowerCase` (not the locale's) so every process and database agrees on the key.
 */
export function usernameKey(username: string): string {
  return normalizeUsername(username).toLowerCase();
}
