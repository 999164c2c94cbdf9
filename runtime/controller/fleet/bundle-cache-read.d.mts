// Types of bundle-cache-read.mjs (plain JavaScript, so bin/discalc.mjs can use it before tsx).
export declare const PACKAGE_ROOT: string;
export declare const CLI_BUNDLE_DIR: string;
export declare const sha256: (bytes: Uint8Array) => string;
export declare const inPackage: (path: string) => boolean;
export declare const bundleCacheName: (label: string) => string;
export declare function readCachedBundle(dir: string, label: string, root: string): { bytes: Uint8Array; file: string } | undefined;
