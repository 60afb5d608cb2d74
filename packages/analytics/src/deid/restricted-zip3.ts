/**
 * The three-digit ZIP code prefixes that HIPAA Safe Harbor (45 CFR 164.514(b)(2)(i)(B)) requires to be replaced by
 * "000": the areas formed by all ZIP codes with these first three digits contained 20,000 or fewer people.
 *
 * Source: U.S. Department of Health and Human Services, Office for Civil Rights, "Guidance Regarding Methods for
 * De-identification of Protected Health Information in Accordance with the HIPAA Privacy Rule" (26 November 2012),
 * section "When can ZIP codes be included in de-identified information?", which lists these 17 prefixes from the
 * 2000 Census three-digit ZIP Code Tabulation Areas
 * (https://www.hhs.gov/hipaa/for-professionals/special-topics/de-identification/index.html). HHS notes that covered
 * entities should use newer Census data when published; update this list (and its test) if HHS revises it.
 */
export const RESTRICTED_ZIP3: ReadonlySet<string> = new Set([
  '036',
  '059',
  '063',
  '102',
  '203',
  '556',
  '692',
  '790',
  '821',
  '823',
  '830',
  '831',
  '878',
  '879',
  '884',
  '890',
  '893',
]);

/**
 * The Safe Harbor form of a US ZIP code: its first three digits, or "000" for a restricted area.
 * @returns undefined for anything that is not a 5-digit (or ZIP+4) US ZIP code, which must then be dropped
 */
export function generalizeZip(postalCode: string): string | undefined {
  const match = /^(\d{3})\d{2}(-?\d{4})?$/.exec(postalCode.trim());
  if (match === null) return undefined;
  const zip3 = match[1] as string;
  return RESTRICTED_ZIP3.has(zip3) ? '000' : zip3;
}
