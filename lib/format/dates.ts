// Every date and time Keel shows a person, in one place. All in UTC, the zone quotas, billing
// periods and usage days are counted in, so a page rendered on the server and hydrated in a browser
// elsewhere shows the same words, and a date on one page matches the same date on another.
// (Machine formats, such as ISO days used as keys, are not display and do not belong here.)

const LOCALE = "en";
const UTC = "UTC";

const date = new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeZone: UTC });
const longDate = new Intl.DateTimeFormat(LOCALE, { dateStyle: "long", timeZone: UTC });
const dateTime = new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "short", timeZone: UTC });
const dateTimeSeconds = new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle: "medium", timeZone: UTC });
const monthDay = new Intl.DateTimeFormat(LOCALE, { month: "short", day: "numeric", timeZone: UTC });
const monthYear = new Intl.DateTimeFormat(LOCALE, { month: "long", year: "numeric", timeZone: UTC });

type DateInput = Date | string | number;

const asDate = (value: DateInput) => (value instanceof Date ? value : new Date(value));
/** An ISO day ("2026-10-03") as midnight UTC of that day. */
const dayStart = (day: string) => new Date(`${day}T00:00:00Z`);

/** "Oct 3, 2026". */
export const formatDate = (value: DateInput) => date.format(asDate(value));
/** "October 3, 2026". */
export const formatLongDate = (value: DateInput) => longDate.format(asDate(value));
/** "Oct 3, 2026, 2:05 PM". */
export const formatDateTime = (value: DateInput) => dateTime.format(asDate(value));
/** "Oct 3, 2026, 2:05:09 PM" (where the order of close events matters, as in the audit log). */
export const formatDateTimeSeconds = (value: DateInput) => dateTimeSeconds.format(asDate(value));
/** An ISO day as "Oct 3". */
export const formatDay = (day: string) => monthDay.format(dayStart(day));
/** An ISO day (the first of a month) as "October 2026". */
export const formatMonth = (day: string) => monthYear.format(dayStart(day));
