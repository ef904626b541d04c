export function specifiers(text: string): string[];
export function violations(rel: string, text: string): string[];
export function checkTree(root: string): string[];
