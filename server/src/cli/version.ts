// The version is embedded at build time from package.json (esbuild inlines the JSON).
import packageJson from '../../../package.json';

export const VERSION: string = packageJson.version;
