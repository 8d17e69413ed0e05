import fs from 'node:fs';

/** Reads a file argument; `-` reads standard input. */
export function readInput(file: string): string {
  return file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
}
