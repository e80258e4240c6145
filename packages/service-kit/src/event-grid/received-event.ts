/** The two delivery schemas an Event Grid subscription can use. */
export type EventSchema = 'eventgrid' | 'cloudevents';

/**
 * One event of a delivery, the same shape whichever schema Event Grid used.
 *
 * Event Grid schema fields map as `eventType` -> `type`, `topic` -> `source`, `eventTime` -> `time`;
 * CloudEvents 1.0 fields keep their meaning (`dataversion`, an Event Grid extension attribute, becomes
 * `dataVersion`).
 */
export interface ReceivedEvent<TData = unknown> {
  /** The schema the event arrived in. */
  schema: EventSchema;
  /** The event id; unique per `source`, so `source` + `id` identify a delivery attempt's event. */
  id: string;
  /** The event type, e.g. `Microsoft.Communication.IncomingCall`. */
  type: string;
  /** The resource that emitted the event: the Event Grid `topic` or the CloudEvents `source`. */
  source: string;
  /** The publisher-defined subject; may hold personal data (ACS subjects contain phone numbers). */
  subject: string | undefined;
  /** When the event happened; absent only for CloudEvents that carry no `time`. */
  time: Date | undefined;
  /**
   * The event payload exactly as delivered (JSON), or the decoded bytes of a CloudEvents `data_base64`.
   * It may hold message text and phone numbers: never log it.
   */
  data: TData;
  /** The schema version of `data`, when the event states one. */
  dataVersion: string | undefined;
  /** The event as it was parsed from the request body, for fields this shape does not surface. */
  raw: Readonly<Record<string, unknown>>;
}
