import { LoadingOutlined } from '@ant-design/icons';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ConfigProvider, type FormProps } from 'antd';
import enUS from 'antd/es/locale/en_US';
import zhCN from 'antd/es/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { Suspense } from 'react';
import { RouterProvider } from 'react-router';
import { ApiError, setUnauthenticatedHandler } from './api';
import { FullPageSpin } from './components/FullPage';
import { useLang } from './i18n';
import { BASENAME, PUBLIC_PATHS, router } from './routes';
import { SESSION_KEY } from './session';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (4xx) will not change by asking again; a network blip or a 5xx may.
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
      staleTime: 10_000,
      refetchOnWindowFocus: false,
    },
  },
});

// The session ended (expired, revoked, signed out elsewhere): to the sign-in page, and back here
// afterwards. Not on the public pages, where a 401 is the expected answer.
setUnauthenticatedHandler((err: ApiError) => {
  if (err.error !== 'unauthenticated' && err.error !== 'http_401') return;
  // The router's own state keeps the full address; the routes and `next` are below /admin.
  const { search } = router.state.location;
  const pathname = router.state.location.pathname.slice(BASENAME.length) || '/';
  if (PUBLIC_PATHS.includes(pathname)) return;
  queryClient.setQueryData(SESSION_KEY, null);
  void router.navigate(`/sign-in?next=${encodeURIComponent(pathname + search)}`, { replace: true });
});

/**
 * The required-field star is drawn by CSS (console.css) with an empty alternative text, so it is
 * neither in the label's text nor in the field's accessible name: a field is named "Email", not
 * "* Email", for screen readers and for tests alike.
 */
const requiredMark: FormProps['requiredMark'] = (label, { required }) =>
  required ? <span className="sy-required">{label}</span> : label;

/**
 * Buttons keep the name they show: no space forced between two Chinese characters ("登录", not
 * "登 录"), and a busy button's spinner is hidden from its accessible name (antd's own animated
 * one can be left behind, still named "loading", when a request ends while it is still
 * growing).
 */
const BUTTONS = { autoInsertSpace: false, loadingIcon: <LoadingOutlined aria-hidden="true" /> };

export function App() {
  const lang = useLang();
  dayjs.locale(lang === 'en' ? 'en' : 'zh-cn');
  return (
    <ConfigProvider locale={lang === 'en' ? enUS : zhCN} form={{ requiredMark }} button={BUTTONS}>
      <QueryClientProvider client={queryClient}>
        <Suspense fallback={<FullPageSpin />}>
          <RouterProvider router={router} />
        </Suspense>
      </QueryClientProvider>
    </ConfigProvider>
  );
}
