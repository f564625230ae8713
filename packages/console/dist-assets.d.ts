/** Absolute path of the built console (index.html and assets/), ending with a separator. */
export declare const consoleAssetsDir: string;
