/* eslint-disable @n8n/community-nodes/node-usable-as-tool -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	INodeTypes,
	IVersionedNodeType,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeHelpers, UnexpectedError } from 'n8n-workflow';

import type { NodeTypeImplementation } from './types';

/**
 * Stand-in for n8n's Manual Trigger, registered under its real type name so fixtures stay importable
 * into a real n8n. The harness puts the test's input items on its input; it outputs them unchanged.
 */
export class HarnessManualTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Manual Trigger',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: 'Harness stand-in: outputs the items the test gives as input',
		defaults: { name: 'When clicking ‘Execute workflow’' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

/** Stand-in for n8n's No Operation node: passes its items through. */
export class HarnessNoOp implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'No Operation, do nothing',
		name: 'noOp',
		group: ['organization'],
		version: 1,
		description: 'Harness stand-in: passes items through',
		defaults: { name: 'No Operation, do nothing' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

/** Sticky notes appear in exported workflows; they never run but must be a known type. */
export class HarnessStickyNote implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Sticky Note',
		name: 'stickyNote',
		group: ['input'],
		version: [1, 2],
		description: 'Harness stand-in: a note on the canvas',
		defaults: { name: 'Sticky Note' },
		inputs: [],
		outputs: [],
		properties: [],
	};
}

export const MANUAL_TRIGGER_TYPE = 'n8n-nodes-base.manualTrigger';

export const BUILT_IN_NODE_TYPES: Record<string, NodeTypeImplementation> = {
	[MANUAL_TRIGGER_TYPE]: HarnessManualTrigger,
	'n8n-nodes-base.noOp': HarnessNoOp,
	'n8n-nodes-base.stickyNote': HarnessStickyNote,
};

export function instantiateNodeType(implementation: NodeTypeImplementation): INodeType | IVersionedNodeType {
	return typeof implementation === 'function' ? new implementation() : implementation;
}

/** The INodeTypes registry n8n's Workflow and engine look node implementations up in. */
export class HarnessNodeTypes implements INodeTypes {
	private readonly types = new Map<string, INodeType | IVersionedNodeType>();

	constructor(extraTypes: Record<string, NodeTypeImplementation> = {}) {
		for (const [typeName, implementation] of Object.entries({ ...BUILT_IN_NODE_TYPES, ...extraTypes })) {
			this.types.set(typeName, instantiateNodeType(implementation));
		}
	}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		const found = this.types.get(nodeType);
		if (!found) {
			throw new UnexpectedError(
				`Unknown node type "${nodeType}": pass its class in the harness option "nodeTypes" under that key`,
			);
		}
		return found;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes(): IDataObject {
		return {};
	}
}
