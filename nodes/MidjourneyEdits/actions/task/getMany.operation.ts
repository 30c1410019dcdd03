import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { asNodeError } from '../../../shared/nodeErrors';
import { fetchTaskRecords } from '../../../shared/polling';
import { simplifiedTaskRecord, taskRecordForOutput } from './recordOutput';
import { getManyDescription } from './get.description';

export const description: INodeProperties[] = getManyDescription;

/** Accepts "a, b", one per line, or an array from an expression. */
export function parseTaskIds(value: unknown): string[] {
	const parts = Array.isArray(value) ? value.map(String) : String(value ?? '').split(/[\s,;]+/);
	const ids = parts.map((part) => part.trim()).filter((part) => part !== '');
	return [...new Set(ids)];
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const ids = parseTaskIds(this.getNodeParameter('taskIds', itemIndex, ''));
			if (ids.length === 0) {
				throw new NodeOperationError(this.getNode(), `'Task IDs' is empty [item ${itemIndex + 1}]`, {
					itemIndex,
					description: 'Give one or more task IDs, separated by commas or new lines.',
				});
			}
			const simplify = this.getNodeParameter('simplify', itemIndex, true) !== false;
			const records = await fetchTaskRecords(this, ids, { maxAttempts: 4 });
			for (const id of ids) {
				const record = records.get(id) ?? {};
				const json: IDataObject = simplify ? simplifiedTaskRecord(record, id) : taskRecordForOutput(record, id);
				output.push({ json, pairedItem: { item: itemIndex } });
			}
		} catch (error) {
			if (!this.continueOnFail()) throw asNodeError(this.getNode(), error, itemIndex);
			output.push({ json: { error: (error as Error).message }, pairedItem: { item: itemIndex } });
		}
	}
	return [output];
}
