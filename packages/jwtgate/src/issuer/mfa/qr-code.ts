import QRCode from 'qrcode';

/**
 * `text` as a QR code in SVG, rendered on the server (the pages that show it run no script): an
 * inline `<svg>` with `role="img"` and a label. Error correction level M, a quiet zone of four
 * modules (ISO/IEC 18004), black on white whatever the page's colour scheme (a camera reads
 * dark-on-light codes most reliably).
 *
 * @example
 * const svg = await renderQrSvg(totpUri(secret, { issuer, account }), 'QR code of the authenticator setup');
 */
export async function renderQrSvg(text: string, label: string): Promise<string> {
  const svg = await QRCode.toString(text, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 4,
    width: 232,
    color: { dark: '#000000', light: '#ffffff' },
  });
  const escaped = label.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return svg.replace('<svg ', `<svg role="img" aria-label="${escaped}" class="qr" `);
}
