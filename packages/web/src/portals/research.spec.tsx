import { MantineProvider } from '@mantine/core';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useEffect } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RiskModel, Study } from '../api/types.js';
import { SessionProvider, useSessionState } from '../session.js';
import { EthicsPage, StudiesPage } from './research.js';

// The pages talk to the server through the real ApiClient; only `fetch` is a stand-in that answers like the server.

const study: Study = {
  id: 'st-0123456789abcdef01234567',
  proposer: { mspId: 'ResearchMSP', uid: 'res.rosa', role: 'researcher' },
  purpose: 'HRESCH',
  resourceTypes: ['Observation', 'Condition'],
  protocolHash: 'ab'.repeat(32),
  epsilonBudgetMicro: 1_000_000,
  epsilonSpentMicro: 900_000,
  epsilonRemaining: 0.1,
  status: 'approved',
  createdAt: '2026-11-26T01:00:00Z',
};

const model: RiskModel = {
  id: 'm-1',
  createdAt: '2026-11-26T02:00:00Z',
  outcome: 'type 2 diabetes',
  predictors: ['age', 'bmi'],
  train: { n: 70, events: 21 },
  test: { n: 30, events: 9 },
  auc: 0.8125,
  roc: [
    { threshold: 1, fpr: 0, tpr: 0 },
    { threshold: 0.4, fpr: 0.2, tpr: 0.7 },
    { threshold: 0, fpr: 1, tpr: 1 },
  ],
  calibration: [{ bin: 0, n: 30, meanPredicted: 0.3, observedRate: 0.3 }],
  model: {
    coefficients: [
      { name: '(intercept)', estimate: -1, oddsRatio: 0.37, oddsRatioCi95: [0.2, 0.6], pValue: 0.0001 },
      { name: 'BMI per 5 kg/m2', estimate: 0.8, oddsRatio: 2.23, oddsRatioCi95: [1.4, 3.5], pValue: 0.002 },
    ],
  },
};

type Answer = readonly [number, unknown];
type Routes = Record<string, Answer | (() => Answer)>;

function serve(routes: Routes): ReturnType<typeof vi.fn> {
  const fetchMock = vi.fn((path: string, init?: RequestInit) => {
    const key = `${init?.method ?? 'GET'} ${path}`;
    const route = routes[key];
    const [status, body] =
      route === undefined
        ? [404, { issue: [{ diagnostics: `no route ${key}` }] }]
        : typeof route === 'function'
          ? route()
          : route;
    return Promise.resolve(new Response(JSON.stringify(body), { status }));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function SignedIn({ children }: { readonly children: React.ReactNode }): React.JSX.Element {
  const { session, signIn } = useSessionState();
  useEffect(() => {
    void signIn('res.rosa', 'pw');
  }, [signIn]);
  return <>{session === undefined ? 'signing in' : children}</>;
}

function renderPage(page: React.ReactNode, routes: Routes): ReturnType<typeof vi.fn> {
  const fetchMock = serve({
    'POST /auth/token': [200, { access_token: 't', expires_in: 600 }],
    'GET /api/whoami': [
      200,
      { username: 'res.rosa', displayName: 'Rosa', organization: 'ResearchMSP', role: 'researcher' },
    ],
    ...routes,
  });
  render(
    <MantineProvider>
      <SessionProvider>
        <SignedIn>{page}</SignedIn>
      </SessionProvider>
    </MantineProvider>,
  );
  return fetchMock;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the research portal', () => {
  it('shows a refused release as "Privacy budget exhausted" with the epsilon left', async () => {
    renderPage(<StudiesPage />, {
      'GET /api/studies': [200, [study]],
      [`GET /api/studies/${study.id}`]: [200, study],
      [`POST /api/studies/${study.id}/charts`]: [
        429,
        { resourceType: 'OperationOutcome', issue: [{ diagnostics: 'privacy budget exhausted' }] },
      ],
    });
    fireEvent.click(await screen.findByRole('button', { name: `Open ${study.id}` }));
    fireEvent.click(await screen.findByRole('button', { name: 'Draw charts' }));
    const alert = await screen.findByText(/Nothing was released and no budget was spent/);
    expect(alert.textContent).toContain('(0.1 of 1)');
    expect(screen.getByText('Privacy budget exhausted')).toBeDefined();
  });

  it('trains the model and shows the AUC, the ROC and calibration charts and the odds ratios', async () => {
    const fetchMock = renderPage(<StudiesPage />, {
      'GET /api/studies': [200, [study]],
      [`GET /api/studies/${study.id}`]: [200, study],
      [`POST /api/studies/${study.id}/models`]: [201, model],
    });
    fireEvent.click(await screen.findByRole('button', { name: `Open ${study.id}` }));
    fireEvent.click(await screen.findByRole('button', { name: 'Train model' }));
    await screen.findByTestId('model-result');
    expect(screen.getByText(/Held-out AUC/).textContent).toContain('0.813');
    expect(screen.getByRole('heading', { level: 3, name: 'ROC curve (held-out, n = 30) · AUC 0.813' })).toBeDefined();
    expect(screen.getByRole('heading', { level: 3, name: 'Calibration (held-out)' })).toBeDefined();
    expect(screen.getByRole('rowheader', { name: 'BMI per 5 kg/m2' })).toBeDefined();
    const call = fetchMock.mock.calls.find(([path]) => path === `/api/studies/${study.id}/models`);
    const sent = (call?.[1] as RequestInit | undefined)?.body;
    expect(typeof sent).toBe('string');
    expect(JSON.parse(sent as string)).toEqual({
      seed: 'medledger',
      predictors: ['age', 'bmi', 'glucose', 'hba1c', 'systolic', 'smoking'],
      ridge: 1,
    });
  });
});

describe('the ethics board', () => {
  it('approves a pending study and then lists it as decided', async () => {
    const pending: Study = { ...study, status: 'proposed', epsilonSpentMicro: 0, epsilonRemaining: 1 };
    let current = pending;
    renderPage(<EthicsPage />, {
      'GET /api/studies': () => [200, [current]],
      [`POST /api/studies/${study.id}/decision`]: () => {
        current = { ...pending, status: 'approved', decidedAt: '2026-11-26T03:00:00Z' };
        return [200, current];
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: `Approve ${study.id}` }));
    await waitFor(() => {
      expect(screen.queryByRole('button', { name: `Approve ${study.id}` })).toBeNull();
    });
    expect(screen.getByText('No studies wait for a decision.')).toBeDefined();
    expect(screen.getByText('approved')).toBeDefined();
  });
});
