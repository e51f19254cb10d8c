/** Routing (routing.ts): each outcome on the Success, Warning or Error output, in input order, paired with its item. */
import { classifyImport } from '../../../nodes/CommCareImportStatus/importOutcome';
import { unpolledImport } from '../../../nodes/CommCareImportStatus/statusBody';
import { routeToOutputs } from '../../../nodes/CommCareImportStatus/routing';
import { STATUS_URL as URL } from '../../support/unitImportOutcomes';

describe('routeToOutputs', () => {
	it('puts each outcome on its output in input order, paired with its input item', () => {
		const make = (outcome: 'success' | 'warning' | 'error') => ({
			...classifyImport(URL, {}, unpolledImport({ kind: 'notFound' })),
			outcome,
		});
		const outputs = routeToOutputs([
			{ itemIndex: 2, json: make('error') },
			{ itemIndex: 0, json: make('success') },
			{ itemIndex: 1, json: make('warning') },
			{ itemIndex: 3, json: make('success') },
		]);
		expect(outputs.map((items) => items.map((item) => item.pairedItem))).toEqual([
			[{ item: 0 }, { item: 3 }],
			[{ item: 1 }],
			[{ item: 2 }],
		]);
	});
});
