/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import { existsSync, readFileSync } from 'fs';
import path from 'path';
import type { IDataObject } from 'n8n-workflow';

/** The API contract lives in ../shared/api beside the repository (a fresh CI clone has it too). */
export const SHARED_API_DIR = path.resolve(__dirname, '../../../shared/api');

export function loadExample(name: string): IDataObject {
	const file = path.join(SHARED_API_DIR, 'examples', name);
	if (!existsSync(file)) {
		throw new Error(`API example ${file} is missing: the repository expects ../shared/api beside it`);
	}
	return JSON.parse(readFileSync(file, 'utf8')) as IDataObject;
}
