import { testPropertySuite } from '../../../verify/test/properties/property-suite.ts';
import { identityHeadersSuite } from './identity-headers.properties.ts';

testPropertySuite(identityHeadersSuite);
