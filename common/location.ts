/**
 * Where a root lies: a local path or an object-storage location (`s3://bucket/prefix`). Pure string
 * logic, so the spec checks (pipeline/), the path builders (common/paths.ts) and the storage
 * (storage/) agree on what is inside what.
 */
import path from 'node:path';

/** An object-storage location: `s3://bucket` and its key as an absolute '/'-path (or none). */
export const OBJECT_URL = /^(s3:\/\/[^/]+)(\/.*)?$/;

export const isObjectUrl = (p: string): boolean => p.startsWith('s3://');

/** A location in one canonical form: an absolute local path, or `s3://bucket/key` without a trailing "/". */
export function resolveLocation(p: string): string {
  const object = OBJECT_URL.exec(p);
  if (!object) return path.resolve(p);
  const key = path.posix.resolve('/', object[2] ?? '/');
  return key === '/' ? object[1]! : `${object[1]}${key}`;
}

/** The names from `parent` down to `child` when `child` lies strictly inside `parent` (both resolved). */
export function namesBelow(parent: string, child: string): string[] | undefined {
  const [p, c] = [OBJECT_URL.exec(parent), OBJECT_URL.exec(child)];
  if (!p !== !c) return undefined; // one local, one in a bucket
  if (p && c && p[1] !== c[1]) return undefined; // two buckets
  const paths = p ? path.posix : path;
  const rel = p ? paths.relative(p[2] ?? '/', c![2] ?? '/') : path.relative(parent, child);
  if (rel === '' || rel === '..' || rel.startsWith(`..${paths.sep}`) || paths.isAbsolute(rel)) return undefined;
  return rel.split(paths.sep);
}
