import { Button } from 'antd';
import { useRouteError } from 'react-router';
import { useT } from '../i18n';

/**
 * What a page that failed to render shows instead of a blank screen. The usual cause is a page
 * chunk that no longer exists because the console was rebuilt while this tab was open: a reload
 * fetches the new ones. Plain elements and a Button only: this must be in the first chunk, since
 * it shows when loading the others fails.
 */
export function RouteError() {
  const t = useT();
  const err = useRouteError();
  console.error(err);
  return (
    <div role="alert" style={{ maxWidth: 480, margin: '20vh auto', padding: 24, textAlign: 'center' }}>
      <h2 style={{ fontWeight: 600, fontSize: 20 }}>{t('state.error')}</h2>
      <p style={{ color: 'rgba(0,0,0,0.55)' }}>{t('state.pageLoadFailed')}</p>
      <Button type="primary" onClick={() => location.reload()}>
        {t('state.reload')}
      </Button>
    </div>
  );
}
