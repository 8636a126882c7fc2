/** The environment's user a request acts as (Dataverse systemuser), with its roles. */
export interface Caller {
  readonly systemUserId: string
  readonly businessUnitId: string
  /** Security role names assigned to the user (directly, for now). */
  readonly roles: readonly string[]
}
