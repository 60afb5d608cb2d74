import type { ComponentType, ReactNode } from 'react';

export interface PortalPage {
  /** Relative to the portal; '' is its main page. */
  readonly path: string;
  readonly label: string;
  readonly element: ReactNode;
  /** A small count beside the link (new requests, emergency accesses). */
  readonly badge?: ComponentType;
}

export interface Portal {
  readonly path: string;
  readonly title: string;
  readonly pages: readonly PortalPage[];
}
