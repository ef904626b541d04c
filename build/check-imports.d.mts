export function ipcViolations(rel: string, text: string): string[];
export function checkTree(root: string): Promise<string[]>;
