import { LockOutlined, MailOutlined, SafetyOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError, errorMessage, signIn } from '../api';
import { CenteredPage } from '../components/FullPage';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { usePageTitle } from '../components/Page';
import { useT } from '../i18n';
import { SESSION_KEY, safeNext, useSession } from '../session';

interface Credentials {
  email: string;
  password: string;
}

/**
 * Email and password; when the account has two-factor sign-in, a second step asks for the code
 * (the server answers `totp_required` to the first). Refusals are shown in words: wrong password,
 * locked for N minutes, too many attempts.
 */
export default function SignIn() {
  const t = useT();
  usePageTitle('signIn.title');
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const navigate = useNavigate();
  const qc = useQueryClient();
  const session = useSession();
  const [pending2fa, setPending2fa] = useState<Credentials | null>(null);
  const [error, setError] = useState<unknown>(null);

  const mutation = useMutation({
    mutationFn: signIn,
    onSuccess: (s) => {
      qc.setQueryData(SESSION_KEY, s);
      void navigate(next, { replace: true });
    },
    onError: (err, sent) => {
      if (err instanceof ApiError && err.error === 'totp_required') {
        if (sent.totp === undefined) {
          setPending2fa({ email: sent.email, password: sent.password });
          setError(null);
          return;
        }
        setError(new ApiError(err.status, 'totp_invalid', err.message));
        return;
      }
      setError(err);
    },
  });

  if (session.data) return <Navigate to={next} replace />;

  const alert = error !== null && (
    <Alert type="error" showIcon title={errorMessage(error)} style={{ marginBottom: 16 }} />
  );

  return (
    <CenteredPage top={<LanguageSwitch size="small" />}>
      <Typography.Title level={3} style={{ marginTop: 0, textAlign: 'center' }}>
        {t('signIn.title')}
      </Typography.Title>
      {alert}
      {pending2fa === null ? (
        <Form<Credentials>
          layout="vertical"
          onFinish={(v) => {
            setError(null);
            mutation.mutate({ email: v.email.trim(), password: v.password });
          }}
        >
          <Form.Item
            label={t('signIn.email')}
            name="email"
            rules={[
              { required: true, whitespace: true, message: t('signIn.emailRequired') },
              { type: 'email', message: t('signIn.emailInvalid') },
            ]}
          >
            <Input
              prefix={<MailOutlined />}
              autoComplete="username"
              inputMode="email"
              size="large"
              autoFocus
            />
          </Form.Item>
          <Form.Item
            label={t('signIn.password')}
            name="password"
            rules={[{ required: true, message: t('signIn.passwordRequired') }]}
          >
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" size="large" />
          </Form.Item>
          <Button type="primary" htmlType="submit" size="large" block loading={mutation.isPending}>
            {t('signIn.submit')}
          </Button>
        </Form>
      ) : (
        <Form<{ totp: string }>
          layout="vertical"
          onFinish={(v) => {
            setError(null);
            mutation.mutate({ ...pending2fa, totp: v.totp.trim() });
          }}
        >
          <Typography.Paragraph type="secondary">{t('signIn.totpHint')}</Typography.Paragraph>
          <Form.Item
            label={t('signIn.totp')}
            name="totp"
            rules={[{ required: true, pattern: /^\s*\d{6}\s*$/, message: t('signIn.totpRequired') }]}
          >
            <Input
              prefix={<SafetyOutlined />}
              autoComplete="one-time-code"
              inputMode="numeric"
              maxLength={6}
              size="large"
              autoFocus
            />
          </Form.Item>
          <Button type="primary" htmlType="submit" size="large" block loading={mutation.isPending}>
            {t('signIn.submit')}
          </Button>
          <Button
            type="link"
            block
            style={{ marginTop: 8 }}
            onClick={() => {
              setPending2fa(null);
              setError(null);
            }}
          >
            {t('signIn.back')}
          </Button>
        </Form>
      )}
    </CenteredPage>
  );
}
