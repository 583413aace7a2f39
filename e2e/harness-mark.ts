/** The performance mark the bridge sets in each task that delivers a main → page event (see bridge-page.ts). */
export const HARNESS_DELIVERY_MARK = 'e2e-harness-delivery'
