/* eslint-disable @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { INode, INodeParameters } from 'n8n-workflow';
import { UnexpectedError, deepCopy } from 'n8n-workflow';

import type { RunWorkflowOptions, WorkflowFixture } from './types';

/** Reads a `*.workflow.json` file; relative paths are resolved against the current directory (the repo root under jest). */
export function loadWorkflowFixture(filePath: string): WorkflowFixture {
	const absolutePath = path.resolve(filePath);
	const fixture = JSON.parse(readFileSync(absolutePath, 'utf8')) as WorkflowFixture;
	if (!Array.isArray(fixture.nodes) || typeof fixture.connections !== 'object') {
		throw new UnexpectedError(`"${absolutePath}" is not an exported n8n workflow (nodes/connections missing)`);
	}
	return fixture;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** Objects merge key by key; anything else (arrays included) replaces, so a test states lists whole. */
export function deepMerge<T extends Record<string, unknown>>(base: T, override: Record<string, unknown>): T {
	const merged: Record<string, unknown> = { ...base };
	for (const [key, value] of Object.entries(override)) {
		const current = merged[key];
		merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
	}
	return merged as T;
}

/** A copy of the fixture with the test's per-node parameter and settings overrides applied. */
export function prepareFixture(
	fixtureOrPath: string | WorkflowFixture,
	options: Pick<RunWorkflowOptions, 'parameters' | 'nodeSettings' | 'settings'>,
): WorkflowFixture {
	const source = typeof fixtureOrPath === 'string' ? loadWorkflowFixture(fixtureOrPath) : fixtureOrPath;
	const fixture = deepCopy(source);
	const nodeNames = new Set(fixture.nodes.map((node) => node.name));
	for (const nodeName of [
		...Object.keys(options.parameters ?? {}),
		...Object.keys(options.nodeSettings ?? {}),
	]) {
		if (!nodeNames.has(nodeName)) {
			throw new UnexpectedError(
				`Override for node "${nodeName}", which the workflow "${fixture.name}" does not have (nodes: ${[...nodeNames].join(', ')})`,
			);
		}
	}
	fixture.nodes = fixture.nodes.map((node): INode => {
		const parameterOverride = options.parameters?.[node.name];
		const settingsOverride = options.nodeSettings?.[node.name];
		return {
			...node,
			...settingsOverride,
			parameters: parameterOverride
				? deepMerge(node.parameters ?? {}, parameterOverride as Record<string, unknown>) as INodeParameters
				: (node.parameters ?? {}),
		};
	});
	fixture.settings = { executionOrder: 'v1', ...fixture.settings, ...options.settings };
	return fixture;
}
