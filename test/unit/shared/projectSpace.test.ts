/**
 * The Project Space parameter (projectSpace.ts): lower case, digits and hyphens (and the dots and underscores of old
 * names); anything else refused with the name the user probably meant.
 */
import { validateProjectSpace } from '../../../nodes/shared/projectSpace';

describe('validateProjectSpace', () => {
	it('accepts legacy names with dots and underscores', () => {
		expect(validateProjectSpace('old_project.v1')).toBe('old_project.v1');
	});

	it('suggests the lower-case form of an upper-case name', () => {
		expect(() => validateProjectSpace('MyProject')).toThrow(
			"has upper-case letters; CommCare project space names are lower case: type 'myproject'",
		);
	});

	it('names the characters found and suggests a name for spaces', () => {
		expect(() => validateProjectSpace('My Project')).toThrow(/found a space\)\. Did you mean 'my-project'\?/);
	});

	it.each([
		['', /is empty/],
		['   ', /is empty/],
		['demo/../admin', /found '\/', '\.\.'/],
		['..', /found '\.\.'/],
		['-demo', /not a CommCare project space name/],
	])('refuses %j', (raw, message) => {
		expect(() => validateProjectSpace(raw)).toThrow(message);
	});

	it('recognises a pasted CommCare address and names the project space in it', () => {
		expect(() => validateProjectSpace('https://www.commcarehq.org/a/demo/dashboard/')).toThrow(
			"looks like an address: type just the name, 'demo'",
		);
	});
});
