import type { LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';

/** The groups of the navigation, in their order. */
export const areaGroups = ['Data', 'Machine learning', 'Release', 'Platform'] as const;
export type AreaGroup = (typeof areaGroups)[number];

/** One area of the platform: its entry in the navigation and the page behind it. */
export interface Area {
  /** First path segment: the area lives at `/#/<path>` and owns everything below it. */
  readonly path: string;
  readonly label: string;
  readonly group: AreaGroup;
  readonly icon: LucideIcon;
  /** The area's page; it routes its own sub-pages with relative `<Routes>`. */
  readonly element: ReactNode;
}
