/**
 * Issue 17: the follow-up operations in the node panel, read from the node description the way n8n's
 * editor evaluates it: each is an action, shows Image ID (from the incoming item by default), its own
 * choice, then the Edit's Speed, Output, Wait Mode and Options; Edit's own panel is unchanged.
 */
import type { INodeParameters, INodeProperties, INodeTypeDescription } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { MidjourneyEdits } from '../../nodes/MidjourneyEdits/MidjourneyEdits.node';
import { describeActions, followUpActionOfRecord } from '../../nodes/shared/followUpActions';

const description = new MidjourneyEdits().description;

function shownProperties(node: INodeTypeDescription, values: INodeParameters): INodeProperties[] {
	const instance = { id: 'n', name: 'n', type: node.name, typeVersion: 1, position: [0, 0] as [number, number], parameters: values };
	const all = NodeHelpers.getNodeParameters(node.properties, values, true, false, instance, node) ?? {};
	return node.properties.filter((property) => NodeHelpers.displayParameter(all, property, instance, node));
}
const shownFields = (values: INodeParameters, node = description) =>
	shownProperties(node, values)
		.filter((property) => property.type !== 'notice')
		.map((property) => property.name);

/** The Options collection n8n shows for these values, and the option names it offers there. */
function shownOptions(values: INodeParameters): string[] {
	const instance = { id: 'n', name: 'n', type: description.name, typeVersion: 1, position: [0, 0] as [number, number], parameters: values };
	const options = shownProperties(description, values).find((property) => property.name === 'options')!;
	const all = { ...NodeHelpers.getNodeParameters(description.properties, values, true, false, instance, description), ...values };
	// An option's '/name' conditions read the node's root parameters, as the editor does.
	return (options.options as INodeProperties[])
		.filter((option) => !option.displayOptions || NodeHelpers.displayParameter(all, option, instance, description, all))
		.map((option) => option.name);
}

const operations = () =>
	(description.properties.find((property) => property.name === 'operation' && property.displayOptions?.show?.resource?.[0] === 'image')!
		.options as Array<{ value: string; action?: string }>);

describe('follow-up operations in the node panel', () => {
	it('are actions of the Image resource, in sentence case without articles (as issue 15 names them)', () => {
		const actions = Object.fromEntries(operations().map((option) => [option.value, option.action]));
		expect(actions).toMatchObject({
			upscale: 'Upscale image',
			vary: 'Vary image',
			reroll: 'Reroll image',
			zoomOut: 'Zoom out image',
			pan: 'Pan image',
		});
	});

	it("Upscale's Output offers the file or the link of one image; the grid-making follow-ups offer Edit's three", () => {
		const outputOf = (operation: string) => shownProperties(description, { resource: 'image', operation }).filter((property) => property.name === 'output');
		const [upscale, ...otherUpscaleOutputs] = outputOf('upscale');
		expect(otherUpscaleOutputs).toEqual([]);
		expect((upscale.options as Array<{ name: string; value: string }>).map((option) => `${option.name}=${option.value}`)).toEqual([
			'Image File=grid',
			'Links Only=links',
		]);
		expect(upscale.hint).toBe('An upscale returns one image');
		for (const operation of ['vary', 'reroll', 'zoomOut', 'pan']) {
			const [output, ...others] = outputOf(operation);
			expect(others).toEqual([]);
			expect((output.options as Array<{ value: string }>).map((option) => option.value)).toEqual(['split', 'grid', 'links']);
			expect(output.hint).toMatch(/2x2 grid/);
		}
	});

	it.each([
		['upscale', 'upscaleAction'],
		['vary', 'varyAction'],
		['zoomOut', 'zoomOutAction'],
		['pan', 'panDirection'],
		['reroll', undefined],
	])('%s shows Image ID, its choice, then Speed, Output, Wait Mode and Options', (operation, choice) => {
		const fields = shownFields({ resource: 'image', operation });
		expect(fields.slice(fields.indexOf('imageId'))).toEqual(['imageId', ...(choice ? [choice] : []), 'mode', 'output', 'waitMode', 'options']);
	});

	it('reads Image ID from the incoming item by default, so Edit → Upscale needs no expression', () => {
		const imageId = description.properties.find((property) => property.name === 'imageId')!;
		expect(imageId.default).toBe('={{ $json.image_id }}');
	});

	it('offers the mask options only to Vary (region), the Edit keeps them', () => {
		expect(shownOptions({ resource: 'image', operation: 'vary', varyAction: 'variation_region' })).toEqual(
			expect.arrayContaining(['maskBase64', 'maskBinaryPropertyName']),
		);
		for (const values of [
			{ resource: 'image', operation: 'vary', varyAction: 'variation_subtle' },
			{ resource: 'image', operation: 'upscale' },
		]) {
			expect(shownOptions(values)).not.toContain('maskBase64');
		}
		expect(shownOptions({ resource: 'image', operation: 'edit' })).toEqual(expect.arrayContaining(['maskBase64', 'maskBinaryPropertyName']));
	});

	it('hides Output and Wait Mode from an AI agent, as on Edit', () => {
		const fields = shownFields({ resource: 'image', operation: 'upscale' }, { ...description, name: `${description.name}Tool` });
		expect(fields).toContain('imageId');
		expect(fields).not.toContain('output');
		expect(fields).not.toContain('waitMode');
	});

	it("leaves the Edit's panel as it was", () => {
		const fields = shownFields({ resource: 'image', operation: 'edit', imageSource: 'url' });
		expect(fields.slice(fields.indexOf('imageSource'))).toEqual(['imageSource', 'imageUrl', 'prompt', 'mode', 'output', 'waitMode', 'options']);
	});
});

describe('a result\'s actions in user words (the error that lists what an image offers)', () => {
	it('groups quarters, keeps the API\'s order, and names values it does not know as the API wrote them', () => {
		expect(describeActions(['upscale1', 'upscale2', 'upscale3', 'upscale4', 'variation1', 'variation2', 'variation3', 'variation4', 'reroll'])).toBe(
			'Upscale quarter 1-4, Vary quarter 1-4, Reroll',
		);
		expect(describeActions(['upscale3', 'upscale1', 'reroll', 'inpaint'])).toBe("Upscale quarter 1, 3, Reroll, 'inpaint'");
		expect(describeActions(['zoom_out_1_5x', 'pan_left', 'variation_region'])).toBe('Zoom out 1.5x, Pan left, Vary (region)');
		expect(describeActions([])).toBe('nothing (its actions list is empty)');
	});

	it("reads a record's follow-up action from its request; an edit's 'generate' is none", () => {
		expect(followUpActionOfRecord({ type: 'imagine', request: { action: 'upscale_2x', image_id: '1' } })).toBe('upscale_2x');
		expect(followUpActionOfRecord({ type: 'edits', request: { action: 'generate' } })).toBeUndefined();
		expect(followUpActionOfRecord({ request: { action: 'toString' } })).toBeUndefined();
		expect(followUpActionOfRecord(null)).toBeUndefined();
	});
});

describe('follow-up panels speak of the task at hand, not of an edit', () => {
	/** Every text n8n shows for a property: its name, description, hint, placeholder and its options'. */
	function textsOf(property: INodeProperties): string[] {
		const own = [property.displayName, property.description, property.hint, property.placeholder];
		const nested = ((property.options ?? []) as Array<INodeProperties | { name: string; description?: string }>).flatMap((option) =>
			'displayName' in option ? textsOf(option) : [option.name, option.description],
		);
		return [...own, ...nested].filter((text): text is string => typeof text === 'string' && text !== '');
	}

	it.each(['upscale', 'vary', 'reroll', 'zoomOut', 'pan'])('%s: no text on its panel says "edit"', (operation) => {
		const texts = [
			...shownProperties(description, { resource: 'image', operation }),
			...shownProperties(description, { resource: 'image', operation, waitMode: 'none' }),
			...shownProperties(description, { resource: 'image', operation, waitMode: 'callback' }),
		]
			// The resource and operation lists name every operation, Edit among them.
			.filter((property) => !['resource', 'operation'].includes(property.name))
			.flatMap(textsOf);
		// Lower case: 'Edit' (the operation) and 'Midjourney Edits' (the product) are names, not this task.
		expect(texts.filter((text) => /\bedit(s|ed|ing)?\b/.test(text))).toEqual([]);
	});
});
