// Inputs of the operations endpoints: maintenance run and backup take no parameters.
import { z } from "zod";

/** `{}` (or no body); any field is refused so a typo does not pass silently. */
export const EmptyBody = z.strictObject({});
