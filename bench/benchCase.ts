/** A benchmark case, as `cases.ts` lists them (and modules of cases such as `householdCases.ts` define them). */
export interface BenchCase<Input = unknown> {
	/** Stable id: the command-line name and the key in results JSON. */
	name: string;
	group: string;
	description: string;
	/** Name of a file in `fixtures` the case reads. */
	fixture?: string;
	prepare(): Promise<Input>;
	/** The measured work; stages of it may be measured on their own too (`measureStage`, stages.ts). */
	run(input: Input): Promise<{ outputBytes: number }>;
	cleanup?(input: Input): Promise<void>;
}
