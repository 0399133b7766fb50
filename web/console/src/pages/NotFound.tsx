import { Button, Result } from 'antd';
import { useNavigate } from 'react-router';
import { usePageTitle } from '../components/Page';
import { useT } from '../i18n';

export default function NotFound() {
  const t = useT();
  const navigate = useNavigate();
  usePageTitle('state.notFound');
  return (
    <Result
      status="404"
      title={t('state.notFound')}
      subTitle={t('state.notFoundHint')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('state.backHome')}
        </Button>
      }
    />
  );
}
