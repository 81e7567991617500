import { extractTokenSuite } from './extract-token.properties.ts';
import { testPropertySuite } from './property-suite.ts';

testPropertySuite(extractTokenSuite);
