/**
 * The benchmark's stages (bench/stages.ts): a stage's figures recorded around its work, even when the work fails,
 * and summarised over runs (times as medians, the peak the highest).
 */
import { measureStage, summarizeStages, takeStages, type StageResult } from '../../../bench/stages';

const stage = (name: string, wallSeconds: number, peakAboveBaselineMb: number, other: number | null = 1) =>
	({
		name,
		wallSeconds,
		cpuSeconds: wallSeconds / 2,
		otherCpuSeconds: other,
		baselineRssMb: 100,
		peakRssMb: 100 + peakAboveBaselineMb,
		peakAboveBaselineMb,
	}) satisfies StageResult;

describe('summarizeStages', () => {
	it('per stage, in order: median times, the highest peak', () => {
		const runs = [
			[stage('a', 1, 10), stage('b', 5, 1)],
			[stage('a', 3, 30), stage('b', 6, 2)],
			[stage('a', 2, 20), stage('b', 4, 3)],
		];
		expect(summarizeStages(runs)).toEqual([
			{
				name: 'a',
				runs: 3,
				wallSeconds: 2,
				cpuSeconds: 1,
				otherCpuSeconds: 1,
				baselineRssMb: 100,
				peakAboveBaselineMb: 30,
			},
			{
				name: 'b',
				runs: 3,
				wallSeconds: 5,
				cpuSeconds: 2.5,
				otherCpuSeconds: 1,
				baselineRssMb: 100,
				peakAboveBaselineMb: 3,
			},
		]);
	});

	it("the other process's CPU time only when every run has it", () => {
		expect(summarizeStages([[stage('a', 1, 1)], [stage('a', 1, 1, null)]])[0].otherCpuSeconds).toBeNull();
	});
});

describe('measureStage', () => {
	const gc = (global as { gc?: () => void }).gc;
	beforeAll(() => ((global as { gc?: () => void }).gc = () => undefined));
	afterAll(() => ((global as { gc?: () => void }).gc = gc));

	it("records the stage with the other process's CPU time over it, and hands back the work's result", async () => {
		let other = 10;
		const result = await measureStage(
			'work',
			async () => {
				other = 12.5;
				return 'done';
			},
			async () => other,
		);
		expect(result).toBe('done');
		const [recorded] = takeStages();
		expect(recorded).toMatchObject({ name: 'work', otherCpuSeconds: 2.5 });
		expect(recorded.wallSeconds).toBeGreaterThanOrEqual(0);
		expect(recorded.peakAboveBaselineMb).toBeGreaterThanOrEqual(0);
		expect(takeStages()).toEqual([]);
	});

	it('records a stage whose work fails, and lets the failure through', async () => {
		await expect(measureStage('fails', async () => await Promise.reject(new Error('no')))).rejects.toThrow('no');
		expect(takeStages().map((recorded) => [recorded.name, recorded.otherCpuSeconds])).toEqual([['fails', null]]);
	});
});
