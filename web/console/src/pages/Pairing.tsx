import { ArrowLeftOutlined, KeyOutlined, LockOutlined, ReloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Flex,
  Form,
  Input,
  Popconfirm,
  Row,
  Space,
  Typography,
} from 'antd';
import { Link, useParams } from 'react-router';
import {
  type AccountPairing,
  ApiError,
  getAccount,
  getPairing,
  reauthenticate,
  rotateMonitorKey,
  updateAccount,
} from '../api';
import { Page } from '../components/Page';
import { ErrorState, Loading } from '../components/PageState';
import { useT } from '../i18n';
import { explainError, TypeTag, useMerchantScope } from './Accounts';

/** The monitor key is shown only after the password is confirmed again (valid 5 minutes). */
function ReauthCard(props: { onDone: () => void }) {
  const t = useT();
  const mutation = useMutation({
    mutationFn: (password: string) => reauthenticate(password),
    onSuccess: props.onDone,
  });
  return (
    <Card style={{ maxWidth: 480 }}>
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        <LockOutlined aria-hidden /> {t('pair.reauthTitle')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('pair.reauthHint')}</Typography.Paragraph>
      <Form<{ password: string }> layout="vertical" onFinish={(v) => mutation.mutate(v.password)}>
        <Form.Item
          label={t('pair.password')}
          name="password"
          rules={[{ required: true, message: t('pair.passwordRequired') }]}
        >
          <Input.Password autoComplete="current-password" autoFocus />
        </Form.Item>
        {mutation.isError && (
          <Alert type="error" showIcon title={explainError(mutation.error)} style={{ marginBottom: 12 }} />
        )}
        <Button type="primary" htmlType="submit" loading={mutation.isPending}>
          {t('pair.reauthSubmit')}
        </Button>
      </Form>
    </Card>
  );
}

function PairingView(props: { id: number; pairing: AccountPairing; onChanged: (p: AccountPairing) => void }) {
  const t = useT();
  const qc = useQueryClient();
  const p = props.pairing;
  const vmqOn = useMutation({
    mutationFn: () => updateAccount(props.id, { vmq: true }),
    onSuccess: async () => {
      void qc.invalidateQueries({ queryKey: ['account', props.id] });
      props.onChanged(await getPairing(props.id));
    },
  });
  const rotate = useMutation({
    mutationFn: () => rotateMonitorKey(props.id),
    onSuccess: (fresh) => {
      props.onChanged(fresh);
      void qc.invalidateQueries({ queryKey: ['accounts'] });
    },
  });
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={12}>
        <Card title={t('pair.vmqTitle')}>
          {!p.vmq && (
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 12 }}
              title={t('pair.vmqOff')}
              action={
                <Button size="small" loading={vmqOn.isPending} onClick={() => vmqOn.mutate()}>
                  {t('pair.vmqTurnOn')}
                </Button>
              }
            />
          )}
          <Typography.Paragraph type="secondary">{t('pair.vmqHint')}</Typography.Paragraph>
          <Flex vertical align="center" gap={12}>
            <img
              src={p.pairing_qr_png}
              alt={t('pair.qrAlt')}
              width={220}
              height={220}
              style={{ imageRendering: 'pixelated' }}
            />
            <Typography.Text
              code
              copyable
              style={{ wordBreak: 'break-all', fontSize: 15 }}
              data-testid="pairing-string"
            >
              {p.pairing}
            </Typography.Text>
          </Flex>
          {p.warnings.length > 0 && (
            <Alert
              type="warning"
              showIcon
              style={{ marginTop: 16 }}
              title={t('pair.warnings')}
              description={
                <ul style={{ margin: 0, paddingInlineStart: 18 }}>
                  {p.warnings.map((w) => (
                    <li key={w}>{w}</li>
                  ))}
                </ul>
              }
            />
          )}
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Flex vertical gap={16}>
          <Card title={t('pair.apiTitle')}>
            <Typography.Paragraph type="secondary">{t('pair.apiHint')}</Typography.Paragraph>
            <Descriptions
              column={1}
              size="small"
              items={[
                {
                  key: 'url',
                  label: t('pair.apiUrl'),
                  children: <Typography.Text copyable>{p.monitor_api_url}</Typography.Text>,
                },
                {
                  key: 'account',
                  label: t('pair.accountHeader'),
                  children: <Typography.Text copyable>{String(p.account_id)}</Typography.Text>,
                },
                {
                  key: 'key',
                  label: t('pair.key'),
                  children: (
                    <Typography.Text
                      code
                      copyable
                      style={{ wordBreak: 'break-all' }}
                      data-testid="monitor-key"
                    >
                      {p.key}
                    </Typography.Text>
                  ),
                },
              ]}
            />
            <Flex justify="space-between" align="center" style={{ marginTop: 12 }}>
              <Typography.Text strong>{t('pair.example')}</Typography.Text>
              <Typography.Text copyable={{ text: p.example, tooltips: [t('pair.copy'), t('pair.copied')] }} />
            </Flex>
            <pre
              aria-label={t('pair.example')}
              style={{
                background: '#f6f8fa',
                padding: 12,
                borderRadius: 6,
                overflowX: 'auto',
                fontSize: 12,
                margin: '8px 0 0',
              }}
            >
              {p.example}
            </pre>
          </Card>
          <Card title={t('pair.rotateTitle')}>
            <Typography.Paragraph type="secondary">{t('pair.rotateHint')}</Typography.Paragraph>
            {rotate.isError && (
              <Alert type="error" showIcon title={explainError(rotate.error)} style={{ marginBottom: 12 }} />
            )}
            {rotate.isSuccess && (
              <Alert type="success" showIcon title={t('pair.rotated')} style={{ marginBottom: 12 }} />
            )}
            <Popconfirm
              title={t('pair.rotateConfirm')}
              description={t('pair.rotateConfirmHint')}
              okText={t('pair.rotate')}
              cancelText={t('acc.cancel')}
              okButtonProps={{ danger: true }}
              onConfirm={() => rotate.mutate()}
            >
              <Button danger icon={<ReloadOutlined aria-hidden />} loading={rotate.isPending}>
                {t('pair.rotate')}
              </Button>
            </Popconfirm>
          </Card>
        </Flex>
      </Col>
    </Row>
  );
}

/** How a monitor is paired with an account: the V免签 app's `host/key`, and the monitor API key. */
export default function Pairing() {
  const t = useT();
  const id = Number(useParams().id);
  const qc = useQueryClient();
  const { operator } = useMerchantScope();
  const account = useQuery({ queryKey: ['account', id], queryFn: () => getAccount(id) });
  const pairing = useQuery({
    queryKey: ['pairing', id],
    queryFn: () => getPairing(id),
    staleTime: 0,
    gcTime: 0,
  });
  const suffix = operator && account.data ? `?merchant_id=${account.data.merchant_id}` : '';
  const needsReauth = pairing.error instanceof ApiError && pairing.error.error === 'reauth_required';
  return (
    <Page
      titleKey="pair.title"
      extra={
        <Link to={`/accounts/${id}${suffix}`}>
          <ArrowLeftOutlined aria-hidden /> {t('pair.backToAccount')}
        </Link>
      }
    >
      {account.data && (
        <Space style={{ marginBottom: 16 }} wrap>
          <KeyOutlined aria-hidden />
          <TypeTag type={account.data.type} />
          <Typography.Text strong>{account.data.name}</Typography.Text>
        </Space>
      )}
      {pairing.isPending ? (
        <Loading />
      ) : needsReauth ? (
        <ReauthCard onDone={() => void pairing.refetch()} />
      ) : pairing.isError ? (
        <ErrorState error={pairing.error} onRetry={() => void pairing.refetch()} />
      ) : (
        <PairingView id={id} pairing={pairing.data} onChanged={(p) => qc.setQueryData(['pairing', id], p)} />
      )}
    </Page>
  );
}
