export function helperProblems(resources: string, platform: string): string[];
export function afterPack(context: { appOutDir: string; electronPlatformName: string; packager: { getResourcesDir(appOutDir: string): string } }): Promise<void>;
