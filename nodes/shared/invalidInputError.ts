/** A problem with what the user typed or connected (parameters, credential, input items). Nothing was sent. */
export class InvalidInputError extends Error {
	constructor(
		message: string,
		readonly description?: string,
	) {
		super(message);
		this.name = 'InvalidInputError';
	}
}
