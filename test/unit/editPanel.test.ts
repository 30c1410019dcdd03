/**
 * Issue 15: the Edit panel a no-code user sees (order, at most 6 fields before Options for a URL edit,
 * what is hidden from an AI agent) and the node-panel wording of the trigger, read from the node
 * descriptions the way n8n's editor evaluates them.
 */
import type { INodeParameters, INodeProperties, INodeTypeDescription } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { MidjourneyEdits } from '../../nodes/MidjourneyEdits/MidjourneyEdits.node';
import { MidjourneyEditsTrigger } from '../../nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node';
import actionCodex from '../../nodes/MidjourneyEdits/MidjourneyEdits.node.json';
import triggerCodex from '../../nodes/MidjourneyEditsTrigger/MidjourneyEditsTrigger.node.json';

const action = new MidjourneyEdits().description;

/** The fields (not notices) n8n shows for these values, in panel order, up to and including Options. */
function shownFields(description: INodeTypeDescription, values: INodeParameters): string[] {
	const node = { id: 'n', name: 'n', type: description.name, typeVersion: 1, position: [0, 0] as [number, number], parameters: values };
	const all = NodeHelpers.getNodeParameters(description.properties, values, true, false, node, description) ?? {};
	return description.properties
		.filter((property: INodeProperties) => property.type !== 'notice')
		.filter((property) => NodeHelpers.displayParameter(all, property, node, description))
		.map((property) => property.name);
}

describe('Edit panel', () => {
	const urlEdit = { resource: 'image', operation: 'edit', imageSource: 'url' };

	it('reads Image, Prompt, Speed, Output, Wait Mode, then Options: 6 fields for a URL edit', () => {
		const fields = shownFields(action, urlEdit);
		const beforeOptions = fields.slice(fields.indexOf('imageSource'), fields.indexOf('options'));
		expect(beforeOptions).toEqual(['imageSource', 'imageUrl', 'prompt', 'mode', 'output', 'waitMode']);
		expect(action.properties.find((property) => property.name === 'mode')?.displayName).toBe('Speed');
	});

	it('has no Output or Wait Mode for an AI agent (the tool variant)', () => {
		const tool = { ...action, name: `${action.name}Tool` };
		const fields = shownFields(tool, urlEdit);
		expect(fields).not.toContain('output');
		expect(fields).not.toContain('waitMode');
	});

	it('keeps the image as a file by default', () => {
		expect(action.properties.find((property) => property.name === 'output')?.default).toBe('grid');
	});
});

describe('node-panel wording', () => {
	const trigger = new MidjourneyEditsTrigger().description;

	it('trigger events read "On finished edit" style (sorted), the description does not say "this trigger"', () => {
		const events = trigger.properties.find((property) => property.name === 'events')!;
		const names = (events.options as Array<{ name: string }>).map((option) => `On ${option.name.toLowerCase()}`);
		expect(names).toEqual(['On failed edit', 'On finished edit', 'On successful edit']);
		expect(trigger.description).not.toMatch(/this trigger/i);
	});

	it('uses n8n codex categories', () => {
		expect(actionCodex.categories).toContain('Marketing & Content');
		expect(triggerCodex.categories).toContain('Marketing & Content');
	});

	it('starts placeholders with "e.g." and states the defaults of the tuning options', () => {
		const options = action.properties.find((property) => property.name === 'options')!.options as INodeProperties[];
		const placeholders = [...action.properties, ...options].filter((property) => property.placeholder && property.type === 'string');
		expect(placeholders.length).toBeGreaterThan(0);
		for (const property of placeholders) expect(`${property.name}: ${property.placeholder}`).toMatch(/: e\.g\. /);
		for (const name of ['concurrency', 'maxConcurrency', 'pollIntervalSeconds', 'timeoutSeconds']) {
			expect(options.find((option) => option.name === name)?.description).toMatch(/Defaults to/);
		}
	});
});
