/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Issue 15: n8n's UX guidelines for community nodes (ux-guidelines.md, node-ui-design.md), rule by rule
 * where a rule can be read off the node descriptions or the source; docs/ux-review.md lists every rule.
 * Subtitles are evaluated the way n8n's canvas evaluates them, next to the name n8n gives a new node.
 */
import fs from 'fs';
import path from 'path';
import type { INode, INodeParameters, INodeProperties, INodePropertyOptions, INodeType, INodeTypeDescription, INodeTypes } from 'n8n-workflow';
import { NodeHelpers, Workflow } from 'n8n-workflow';

import { AceDataCloudApi } from '../../credentials/AceDataCloudApi.credentials';
import { MidjourneyEdits } from '../../nodes/MidjourneyEdits/MidjourneyEdits.node';
import { MidjourneyEditsTrigger } from '../../nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node';

const action = new MidjourneyEdits();
const trigger = new MidjourneyEditsTrigger();
const credential = new AceDataCloudApi();
const DESCRIPTIONS: INodeTypeDescription[] = [action.description, trigger.description];

/** Every parameter, also those inside Options collections, of both nodes and the credential. */
function allProperties(): INodeProperties[] {
	const out: INodeProperties[] = [];
	const visit = (properties: INodeProperties[]) => {
		for (const property of properties) {
			out.push(property);
			if (property.type === 'collection' && Array.isArray(property.options)) visit(property.options as INodeProperties[]);
		}
	};
	for (const description of DESCRIPTIONS) visit(description.properties);
	visit(credential.properties);
	return out;
}

const optionLists = () =>
	allProperties().filter((property) => property.type === 'options' && Array.isArray(property.options));
const optionsOf = (property: INodeProperties) => property.options as INodePropertyOptions[];

const SMALL_WORDS = new Set(['a', 'an', 'the', 'and', 'or', 'for', 'from', 'of', 'to', 'in', 'on', 'as', 'by', 'with', 'per']);
/** Title Case: every word capitalised except small words (not the first). */
function isTitleCase(text: string): boolean {
	return text
		.split(/\s+/)
		.every((word, index) => !/^[a-z]/.test(word) || (index > 0 && SMALL_WORDS.has(word.replace(/[^a-z]/g, ''))));
}

/** Sentences of a tooltip; "e.g." and decimals do not end one. */
function sentenceCount(text: string): number {
	return text.replace(/e\.g\./g, 'eg').replace(/i\.e\./g, 'ie').split(/[.!?](?=\s+[A-Z'(])/).length;
}

describe('copy (ux-guidelines.md "Copy", node-ui-design.md "UI text style")', () => {
	it('uses Title Case for parameter names and drop-down values', () => {
		const names = [
			...allProperties().filter((property) => property.type !== 'notice').map((property) => property.displayName),
			...optionLists().flatMap((property) => optionsOf(property).map((option) => option.name)),
		];
		expect(names.filter((name) => !isTitleCase(name))).toEqual([]);
	});

	it('ends a tooltip or info box of one sentence without a period and one of several sentences with one', () => {
		const tooltips = [
			...allProperties().map((property) => (property.type === 'notice' ? property.displayName : property.description)),
			...optionLists().flatMap((property) => optionsOf(property).map((option) => option.description)),
		].filter((text): text is string => typeof text === 'string' && text !== '');
		const wrong = tooltips.filter((text) => (sentenceCount(text) > 1) !== text.endsWith('.'));
		expect(wrong).toEqual([]);
	});

	it('starts every boolean description with "Whether"', () => {
		const booleans = allProperties().filter((property) => property.type === 'boolean');
		expect(booleans.length).toBeGreaterThan(0);
		for (const property of booleans) expect(`${property.name}: ${property.description}`).toMatch(/^\w+: Whether /);
	});

	it('names actions in sentence case, with the resource and without articles', () => {
		const operations = action.description.properties.filter((property) => property.name === 'operation');
		const actions = operations.flatMap((property) => optionsOf(property).map((option) => String(option.action)));
		expect(actions.length).toBeGreaterThan(0);
		for (const text of actions) {
			expect(text).toMatch(/^[A-Z][a-z]+( [a-z0-9]+)*$/);
			expect(text).not.toMatch(/\b(a|an|the)\b/);
			expect(text).toMatch(/image|task/);
		}
	});

	it("refers to parameters in single quotes, never in double quotes, in every message and description", () => {
		const labels = new Set(
			[
				...allProperties().map((property) => property.displayName),
				...optionLists().flatMap((property) => optionsOf(property).map((option) => option.name)),
			].filter((label) => label.length < 40),
		);
		const sources = ['nodes', 'credentials'].flatMap((dir) => sourceFiles(path.join(__dirname, '..', '..', dir)));
		const doubleQuoted: string[] = [];
		for (const file of sources) {
			const text = withoutComments(fs.readFileSync(file, 'utf8'));
			for (const label of labels) {
				// A label in double quotes inside a text, not a string literal of code (`name: "Don't Wait"`).
				const quoted = new RegExp(`(?<![:(\\[,=?]\\s*)"${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"(?!\\s*[,)\\]}:]|\\s*$)`, 'm');
				if (quoted.test(text)) doubleQuoted.push(`${path.basename(file)}: "${label}"`);
			}
			if (/\(item \$\{/.test(text)) doubleQuoted.push(`${path.basename(file)}: (item N)`);
		}
		expect(doubleQuoted).toEqual([]);
	});
});

/** Source text without comments: comments may name parameters any way they like. */
function withoutComments(text: string): string {
	return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

function sourceFiles(dir: string): string[] {
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) return sourceFiles(full);
		return entry.name.endsWith('.ts') ? [full] : [];
	});
}

describe('fields (node-ui-design.md "Conventions by field type")', () => {
	it('sorts optional fields alphabetically and states the default each one falls back to', () => {
		const collections = allProperties().filter((property) => property.type === 'collection');
		expect(collections.length).toBeGreaterThan(0);
		for (const collection of collections) {
			const options = collection.options as INodeProperties[];
			const names = options.map((option) => option.displayName);
			expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
			for (const option of options) {
				const hasDefault = option.default !== '' && option.default !== undefined;
				if (hasDefault) expect(`${option.name}: ${option.description}`).toMatch(/Defaults to /);
			}
		}
	});

	it('sorts list options alphabetically and sets a default for each list', () => {
		for (const property of optionLists()) {
			const names = optionsOf(property).map((option) => option.name);
			expect(`${property.name}: ${names.join(' | ')}`).toBe(`${property.name}: ${[...names].sort((a, b) => a.localeCompare(b)).join(' | ')}`);
			expect(property.default).not.toBe('');
		}
	});

	it("names the trigger's events parameter 'Trigger On', without a tooltip", () => {
		const events = trigger.description.properties.find((property) => property.name === 'events')!;
		expect(events.displayName).toBe('Trigger On');
		expect(events.description).toBeUndefined();
	});
});

/** The node types n8n's expression engine needs to evaluate a subtitle. */
const nodeTypes: INodeTypes = {
	getByName: (type: string) => byType(type),
	getByNameAndVersion: (type: string) => byType(type),
	getKnownTypes: () => ({}),
} as unknown as INodeTypes;
function byType(type: string): INodeType {
	return type.endsWith('Trigger') ? trigger : action;
}

/** The subtitle n8n's canvas shows for a node with these parameters, and the name n8n gives it when added. */
function subtitleAndDefaultName(description: INodeTypeDescription, values: INodeParameters): { subtitle: string; name: string } {
	const draft: INode = { id: 'n', name: 'n', type: description.name, typeVersion: 1, position: [0, 0], parameters: values };
	const parameters = NodeHelpers.getNodeParameters(description.properties, values, true, false, draft, description) ?? {};
	const name = NodeHelpers.makeNodeName(parameters, description);
	const node: INode = { ...draft, name, parameters };
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	const subtitle = workflow.expression.getSimpleParameterValue(node, description.subtitle!, 'internal', {});
	return { subtitle: String(subtitle ?? ''), name };
}

describe('subtitles (node-ui-design.md "Subtitles")', () => {
	it.each([
		[{ resource: 'image', operation: 'edit' }, 'Poll Until Done'],
		[{ resource: 'image', operation: 'edit', waitMode: 'callback' }, 'Wait for Callback'],
		[{ resource: 'image', operation: 'edit', waitMode: 'none' }, "Don't Wait"],
		[{ resource: 'image', operation: 'upscale' }, 'Poll Until Done'],
		[{ resource: 'image', operation: 'vary', waitMode: 'callback' }, 'Wait for Callback'],
		[{ resource: 'image', operation: 'reroll', waitMode: 'none' }, "Don't Wait"],
		[{ resource: 'task', operation: 'get' }, ''],
		[{ resource: 'task', operation: 'getMany' }, ''],
	])('the action node with %j shows %j: Title Case, never a repeat of its name', (values, expected) => {
		const { subtitle, name } = subtitleAndDefaultName(action.description, values);
		expect(subtitle).toBe(expected);
		expect(isTitleCase(subtitle)).toBe(true);
		for (const nodeName of [name, 'Edit Image', action.description.defaults.name!]) {
			if (subtitle !== '') expect(nodeName.toLowerCase()).not.toContain(subtitle.toLowerCase());
			expect(subtitle.toLowerCase()).not.toContain(nodeName.toLowerCase());
		}
	});

	it.each([
		['failed', 'On Failed Edit'],
		['both', 'On Finished Edit'],
		['succeeded', 'On Successful Edit'],
	])('the trigger with events %j shows %j, in Title Case', (events, expected) => {
		const { subtitle, name } = subtitleAndDefaultName(trigger.description, { events });
		expect(subtitle).toBe(expected);
		expect(isTitleCase(subtitle)).toBe(true);
		expect(name.toLowerCase()).not.toContain(subtitle.toLowerCase());
	});
});
