import { testPropertySuite } from '../../../verify/test/properties/property-suite.ts';
import { pathSafetySuite } from './path-safety.properties.ts';

testPropertySuite(pathSafetySuite);
