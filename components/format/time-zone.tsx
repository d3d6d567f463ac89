'use client';

import { createContext, useContext, type ReactNode } from 'react';
import { DEFAULT_TIME_ZONE, type DisplayTimeZone } from './index';

/**
 * The signed-in user's display zone (users.time_zone: 'UTC' or their local IANA zone), set once by the app
 * layout. Server and browser render the same text because the zone is explicit, never the runtime's own.
 */
const TimeZoneContext = createContext<DisplayTimeZone>(DEFAULT_TIME_ZONE);

export function TimeZoneProvider({ timeZone, children }: { timeZone: DisplayTimeZone; children: ReactNode }) {
  return <TimeZoneContext.Provider value={timeZone}>{children}</TimeZoneContext.Provider>;
}

/** The zone to pass to formatDateTime and its siblings. */
export function useTimeZone(): DisplayTimeZone {
  return useContext(TimeZoneContext);
}
