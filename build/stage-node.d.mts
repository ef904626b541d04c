export const BUILDER_OS: Record<string, string>;
export const BUILDER_ARCH: Record<string, string>;
export const RUNTIME_FLAGS: string[];
export function stageDir(base: string, platform?: string, arch?: string): string;
export interface NodeRuntimeManifest {
  version: string;
  modules: string;
  napi: string | undefined;
  platform: string;
  arch: string;
  flags: string[];
}
export function stageNode(opts?: { out?: string }): { dir: string; node: string; manifest: NodeRuntimeManifest };
