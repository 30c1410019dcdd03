import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import * as edit from './image/edit.operation';
import * as pan from './image/pan.operation';
import * as reroll from './image/reroll.operation';
import * as upscale from './image/upscale.operation';
import * as vary from './image/vary.operation';
import * as zoomOut from './image/zoomOut.operation';
import * as get from './task/get.operation';
import * as getMany from './task/getMany.operation';

const operations: Record<string, (this: IExecuteFunctions) => Promise<INodeExecutionData[][]>> = {
	'image.edit': edit.execute,
	'image.upscale': upscale.execute,
	'image.vary': vary.execute,
	'image.reroll': reroll.execute,
	'image.zoomOut': zoomOut.execute,
	'image.pan': pan.execute,
	'task.get': get.execute,
	'task.getMany': getMany.execute,
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = operations[`${resource}.${operation}`];
	if (!run) {
		throw new NodeOperationError(this.getNode(), `The operation '${operation}' of the resource '${resource}' is not supported`);
	}
	return await run.call(this);
}
