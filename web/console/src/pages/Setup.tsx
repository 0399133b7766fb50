import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Result, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { ApiError, checkSetupToken, completeSetup, errorMessage, type Session } from '../api';
import { CenteredPage } from '../components/FullPage';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { usePageTitle } from '../components/Page';
import { ErrorState, Loading } from '../components/PageState';
import { useT } from '../i18n';
import { SESSION_KEY } from '../session';

interface SetupForm {
  email: string;
  password: string;
}

/** A refusal that means "this link is no good" rather than "try again". */
function isDeadLink(err: unknown): boolean {
  return err instanceof ApiError && (err.error === 'setup_invalid' || [400, 404, 410].includes(err.status));
}

/**
 * First run: the link the server printed (`/admin/setup?token=…`) lets whoever holds it choose
 * the operator's email and password, once, within the hour.
 */
export default function Setup() {
  const t = useT();
  usePageTitle('setup.title');
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [done, setDone] = useState(false);
  const [dead, setDead] = useState(false);

  const check = useQuery({
    queryKey: ['setup-token', token],
    queryFn: () => checkSetupToken(token),
    enabled: token !== '',
    retry: false,
    staleTime: Infinity,
  });
  const create = useMutation({
    mutationFn: completeSetup,
    onSuccess: (s) => {
      if (s?.user && s.csrf_token) {
        qc.setQueryData(SESSION_KEY, s as Session);
        void navigate('/', { replace: true });
      } else {
        setDone(true);
      }
    },
    onError: (err) => {
      if (err instanceof ApiError && err.error === 'setup_invalid') setDead(true);
    },
  });

  let body;
  if (done) {
    body = (
      <Result
        status="success"
        title={t('setup.doneTitle')}
        subTitle={t('setup.doneHint')}
        extra={
          <Button type="primary" onClick={() => navigate('/sign-in')}>
            {t('setup.goSignIn')}
          </Button>
        }
      />
    );
  } else if (
    token === '' ||
    dead ||
    (check.isError && isDeadLink(check.error)) ||
    check.data?.valid === false
  ) {
    body = <Result status="warning" title={t('setup.invalidTitle')} subTitle={t('setup.invalidHint')} />;
  } else if (check.isPending) {
    body = (
      <>
        <Typography.Paragraph type="secondary">{t('setup.checking')}</Typography.Paragraph>
        <Loading />
      </>
    );
  } else if (check.isError) {
    body = <ErrorState error={check.error} onRetry={() => void check.refetch()} />;
  } else {
    body = (
      <>
        <Typography.Title level={3} style={{ marginTop: 0, textAlign: 'center' }}>
          {t('setup.title')}
        </Typography.Title>
        <Typography.Paragraph type="secondary">{t('setup.intro')}</Typography.Paragraph>
        {create.isError && (
          <Alert type="error" showIcon title={errorMessage(create.error)} style={{ marginBottom: 16 }} />
        )}
        <Form<SetupForm>
          layout="vertical"
          onFinish={(v) => create.mutate({ token, email: v.email.trim(), password: v.password })}
        >
          <Form.Item
            label={t('setup.email')}
            name="email"
            rules={[
              { required: true, whitespace: true, message: t('signIn.emailRequired') },
              { type: 'email', message: t('signIn.emailInvalid') },
            ]}
          >
            <Input autoComplete="username" inputMode="email" size="large" autoFocus />
          </Form.Item>
          <Form.Item
            label={t('setup.password')}
            name="password"
            rules={[{ required: true, message: t('setup.passwordRequired') }]}
          >
            <Input.Password autoComplete="new-password" size="large" />
          </Form.Item>
          <Button type="primary" htmlType="submit" size="large" block loading={create.isPending}>
            {t('setup.submit')}
          </Button>
        </Form>
      </>
    );
  }

  return <CenteredPage top={<LanguageSwitch size="small" />}>{body}</CenteredPage>;
}
