/** The app's version as in package.json (only this field reaches the bundle). */
import { version } from '../../../package.json';

export const APP_VERSION: string = version;
