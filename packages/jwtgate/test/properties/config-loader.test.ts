import { testPropertySuite } from '../../../verify/test/properties/property-suite.ts';
import { configLoaderSuite } from './config-loader.properties.ts';

testPropertySuite(configLoaderSuite);
