/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Node versions (README, "Node versions"): a saved workflow names the version of each node it uses
 * (`typeVersion`) and n8n keeps loading that version after the package is updated; a breaking change
 * to a node's parameters ships as a new version beside the old ones. So every version ever released
 * must still be offered, and every offered version must load. This test loads each node n8n loads
 * from package.json (`n8n.nodes`, from the sources) in every version it offers, the way n8n does for
 * a saved workflow, and checks that none released is gone and that the examples' versions exist.
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import type { INode, INodeType, INodeTypeDescription, IVersionedNodeType } from 'n8n-workflow';
import { NodeHelpers, Workflow } from 'n8n-workflow';

import { HarnessNodeTypes } from '../harness/node-types';

const repoRoot = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
	name: string;
	n8n: { nodes: string[] };
};

/**
 * Every node version a published package has offered, by node name: workflows saved with any of
 * them exist. Add a version here when it is released; never remove one.
 */
const RELEASED_VERSIONS: Record<string, number[]> = {
	midjourneyEdits: [1],
	midjourneyEditsTrigger: [1],
};

interface ShippedNode {
	file: string;
	type: INodeType | IVersionedNodeType;
	name: string;
	versions: number[];
}

function versionsOf(type: INodeType | IVersionedNodeType): number[] {
	if ('nodeVersions' in type) return Object.keys(type.nodeVersions).map(Number);
	const { version } = type.description;
	return Array.isArray(version) ? version : [version];
}

/** The node classes n8n loads from this package (dist/…/X.node.js is built from …/X.node.ts). */
async function shippedNodes(): Promise<ShippedNode[]> {
	const nodes: ShippedNode[] = [];
	for (const file of manifest.n8n.nodes) {
		const source = path.join(repoRoot, file.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
		const exported = Object.values((await import(source)) as Record<string, unknown>).filter(
			(value): value is new () => INodeType | IVersionedNodeType => typeof value === 'function',
		);
		expect(exported).toHaveLength(1);
		const type = new exported[0]();
		nodes.push({ file, type, name: type.description.name, versions: versionsOf(type) });
	}
	return nodes;
}

function nodeAt(nodeType: string, typeVersion: number): INode {
	return { id: 'node-under-test', name: 'Node under test', type: nodeType, typeVersion, position: [0, 0], parameters: {} };
}

describe('node versions: every released version is still offered, and every offered version loads', () => {
	let nodes: ShippedNode[];

	beforeAll(async () => {
		nodes = await shippedNodes();
	});

	it('finds each node package.json ships, and knows its released versions', () => {
		expect(nodes.map((node) => node.name).sort()).toEqual(Object.keys(RELEASED_VERSIONS).sort());
	});

	it('still offers every released version (workflows saved with it keep loading)', () => {
		for (const node of nodes) {
			expect({ node: node.name, missing: RELEASED_VERSIONS[node.name].filter((version) => !node.versions.includes(version)) }).toEqual({
				node: node.name,
				missing: [],
			});
		}
	});

	it('loads each offered version as n8n does for a saved workflow: its description, default parameters and a workflow holding it', () => {
		let loaded = 0;
		for (const node of nodes) {
			const nodeType = `${manifest.name}.${node.name}`;
			const nodeTypes = new HarnessNodeTypes({ [nodeType]: node.type.constructor as new () => INodeType });
			for (const version of node.versions) {
				const description: INodeTypeDescription = nodeTypes.getByNameAndVersion(nodeType, version).description;
				const offered = Array.isArray(description.version) ? description.version : [description.version];
				expect(offered).toContain(version);
				const saved = nodeAt(nodeType, version);
				// What n8n does when it opens or runs a workflow: fill in the defaults for that version.
				const parameters = NodeHelpers.getNodeParameters(description.properties, saved.parameters, true, false, saved, description);
				expect(parameters).not.toBeNull();
				const workflow = new Workflow({ nodes: [{ ...saved, parameters: parameters ?? {} }], connections: {}, active: false, nodeTypes });
				expect(workflow.getNode(saved.name)?.typeVersion).toBe(version);
				loaded += 1;
			}
		}
		expect(loaded).toBeGreaterThanOrEqual(Object.values(RELEASED_VERSIONS).flat().length);
	});

	it('offers the version every example workflow uses', () => {
		const used: Array<{ example: string; node: string; typeVersion: number }> = [];
		for (const file of readdirSync(path.join(repoRoot, 'examples')).filter((name) => name.endsWith('.json'))) {
			const example = JSON.parse(readFileSync(path.join(repoRoot, 'examples', file), 'utf8')) as { nodes: INode[] };
			for (const exampleNode of example.nodes.filter((entry) => entry.type.startsWith(`${manifest.name}.`))) {
				// n8n offers a usableAsTool node to AI agents as "<name>Tool", in the same versions.
				const name = exampleNode.type.split('.')[1];
				const node = nodes.some((shipped) => shipped.name === name) ? name : name.replace(/Tool$/, '');
				used.push({ example: file, node, typeVersion: exampleNode.typeVersion });
			}
		}
		expect(used.length).toBeGreaterThan(0);
		const unknown = used.filter((entry) => !nodes.find((node) => node.name === entry.node)?.versions.includes(entry.typeVersion));
		expect(unknown).toEqual([]);
	});
});
