import { testPropertySuite } from './property-suite.ts';
import { tokenParserSuite } from './token-parser.properties.ts';

testPropertySuite(tokenParserSuite);
