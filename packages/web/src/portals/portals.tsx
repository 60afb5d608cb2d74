import type { Role } from '../api/types.js';
import { MyRequestsPage, PatientsPage } from './clinician/lookup.js';
import { NetworkPage, UsersPage } from './admin.js';
import { AccessLogPage, EmergencyBadge } from './patient/access-log.js';
import { RecordsPage } from './patient/records.js';
import { RequestsBadge, RequestsPage } from './patient/requests.js';
import { SharePage, SharingPage } from './patient/sharing.js';
import type { Portal } from './portal.js';
import { AuditLogPage, ReviewQueuePage } from './privacy.js';
import { EthicsPage, StudiesPage } from './research.js';

const patient: Portal = {
  path: 'patient',
  title: 'Patient portal',
  pages: [
    { path: '', label: 'My records', element: <RecordsPage /> },
    { path: 'sharing', label: 'Who can see my data', element: <SharingPage /> },
    { path: 'share', label: 'Share my data', element: <SharePage /> },
    { path: 'requests', label: 'Access requests', element: <RequestsPage />, badge: RequestsBadge },
    { path: 'log', label: 'Access log', element: <AccessLogPage />, badge: EmergencyBadge },
  ],
};

const clinician: Portal = {
  path: 'clinician',
  title: 'Clinician portal',
  pages: [
    { path: '', label: 'Patients', element: <PatientsPage /> },
    { path: 'requests', label: 'My access requests', element: <MyRequestsPage /> },
  ],
};

const insurer: Portal = {
  path: 'insurer',
  title: 'Insurer portal',
  pages: [
    { path: '', label: 'Members', element: <PatientsPage claims /> },
    { path: 'requests', label: 'My access requests', element: <MyRequestsPage /> },
  ],
};

const privacyOfficer: Portal = {
  path: 'privacy',
  title: 'Privacy office',
  pages: [
    { path: '', label: 'Emergency access reviews', element: <ReviewQueuePage /> },
    { path: 'audit', label: 'Audit log', element: <AuditLogPage /> },
  ],
};

const research: Portal = {
  path: 'research',
  title: 'Research portal',
  pages: [{ path: '', label: 'Studies', element: <StudiesPage /> }],
};

const ethics: Portal = {
  path: 'ethics',
  title: 'Ethics board',
  pages: [{ path: '', label: 'Study decisions', element: <EthicsPage /> }],
};

const publicHealth: Portal = {
  path: 'public-health',
  title: 'Public health portal',
  pages: [{ path: '', label: 'Surveillance programmes', element: <StudiesPage programme /> }],
};

const admin: Portal = {
  path: 'admin',
  title: 'Administration',
  pages: [
    { path: '', label: 'Network', element: <NetworkPage /> },
    { path: 'users', label: 'Users', element: <UsersPage /> },
  ],
};

/** One portal per role. */
export const PORTALS: Readonly<Record<Role, Portal>> = {
  patient,
  clinician,
  insurer,
  researcher: research,
  ethics,
  'public-health': publicHealth,
  'privacy-officer': privacyOfficer,
  admin,
};
