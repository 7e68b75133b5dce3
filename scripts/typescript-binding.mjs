// The `ts` namespace of ts-morph as one module-level binding of the bundle (scripts/build.mjs,
// `directTypescript`): an ES module's export is linked directly, where ts-morph's own export,
// reached through CommonJS interop, is a property getter run at every `ts.isX()` call.
import * as morph from 'ts-morph';

export const ts = morph.ts;
