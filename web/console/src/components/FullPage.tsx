import { Flex, Spin } from 'antd';
import type { ReactNode } from 'react';
import { useT } from '../i18n';

/** A spinner in the middle of the window, while the shell or a first page loads. */
export function FullPageSpin() {
  const t = useT();
  return (
    <Flex align="center" justify="center" style={{ minHeight: '100vh' }}>
      <Spin size="large" aria-label={t('state.loading')} />
    </Flex>
  );
}

/** The console's mark and name, where there is no navigation to carry them. */
function Logo() {
  const t = useT();
  return (
    <span style={{ display: 'inline-flex', alignItems: 'center', gap: 8, fontWeight: 600, fontSize: 16 }}>
      <span
        aria-hidden="true"
        style={{
          display: 'inline-grid',
          placeItems: 'center',
          width: 28,
          height: 28,
          borderRadius: 6,
          background: '#1677ff',
          color: '#fff',
          fontWeight: 700,
        }}
      >
        收
      </span>
      {t('app.name')}
    </span>
  );
}

/**
 * The frame of the pages outside the shell (sign-in, setup): a white panel centred on a grey
 * page (a plain element rather than antd's Card, which would bring its Tabs into the first load).
 */
export function CenteredPage(props: { top?: ReactNode; children: ReactNode }) {
  return (
    <Flex vertical align="center" style={{ minHeight: '100vh', padding: '16px 12px 48px' }}>
      <Flex justify="space-between" align="center" style={{ width: '100%', maxWidth: 420 }}>
        <Logo />
        {props.top}
      </Flex>
      <div
        style={{
          width: '100%',
          maxWidth: 420,
          marginTop: 'min(12vh, 96px)',
          padding: '32px 24px',
          boxSizing: 'border-box',
          background: '#fff',
          borderRadius: 8,
          boxShadow: '0 1px 2px rgba(0,0,0,0.03), 0 2px 8px rgba(0,0,0,0.06)',
        }}
      >
        {props.children}
      </div>
    </Flex>
  );
}
