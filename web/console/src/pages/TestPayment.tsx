import { ExperimentOutlined, ExportOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Badge,
  Button,
  Card,
  Descriptions,
  Flex,
  Form,
  Input,
  Radio,
  Space,
  Steps,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useEffect } from 'react';
import { useSearchParams } from 'react-router';
import {
  ApiError,
  createTestOrder,
  getTestOrder,
  listAccounts,
  type PaymentType,
  simulateTestPayment,
  type TestOrderState,
} from '../api';
import { Page } from '../components/Page';
import { EmptyState, ErrorState, Loading } from '../components/PageState';
import { useT } from '../i18n';
import { formatMoney, formatYuan, parsePositiveCents } from '../money';
import { formatTime } from '../time';
import { explainError, MerchantPicker, TypeTag, useMerchantScope } from './Accounts';

/** The tag every test order carries wherever this page group shows one. */
export function TestTag() {
  return (
    <Tag color="magenta" icon={<ExperimentOutlined aria-hidden />}>
      TEST
    </Tag>
  );
}

/** Watching stops once nothing more can happen by itself: notified (or given up), or expired. */
function settled(s: TestOrderState): boolean {
  if (s.order.status === 'expired') return true;
  if (s.order.status !== 'paid') return false;
  const n = s.notifications[0];
  return n !== undefined && n.state !== 'pending';
}

/** Every second while something is about to happen; slower while a retry is far off; never once settled. */
function pollEvery(s: TestOrderState | undefined): number | false {
  if (s === undefined) return 1000;
  if (settled(s)) return false;
  const next = s.notifications[0]?.next_attempt_at;
  return next != null && next - Date.now() > 10_000 ? 5000 : 1000;
}

function statusColor(status: string) {
  return status === 'paid' ? 'success' : status === 'expired' ? 'default' : 'processing';
}

function simulateError(err: unknown, t: ReturnType<typeof useT>): string {
  if (err instanceof ApiError && err.error === 'not_a_test_order') return t('test.notTestOrder');
  if (err instanceof ApiError && err.error === 'conflict')
    return t('test.simulateConflict', { message: err.message });
  return explainError(err);
}

/** Why no test order was created, in the page's language. */
function createError(
  err: unknown,
  sent: { type: PaymentType; amount: string } | undefined,
  t: ReturnType<typeof useT>,
) {
  const type = sent ? t(`acc.type.${sent.type}`) : '';
  if (err instanceof ApiError && err.error === 'no_account') {
    return t('test.noAccount', { type, amount: formatMoney(sent?.amount ?? '') });
  }
  if (err instanceof ApiError && err.error === 'type_disabled') return t('test.typeDisabled', { type });
  return explainError(err);
}

function OrderCard(props: { state: TestOrderState; live: boolean; onChange: (s: TestOrderState) => void }) {
  const t = useT();
  const { order: o, notifications } = props.state;
  const simulate = useMutation({ mutationFn: () => simulateTestPayment(o.id), onSuccess: props.onChange });
  const n = notifications[0];
  const notified = n?.state === 'delivered';
  // Steps: created, paid, notified; past the last one when the merchant answered `success`.
  const current = o.status !== 'paid' ? 1 : notified ? 3 : 2;
  return (
    <Card
      title={
        <Space wrap>
          <span>{t('test.orderTitle', { id: o.id })}</span>
          <TestTag />
          <TypeTag type={o.type} />
        </Space>
      }
      extra={
        props.live ? (
          <Badge status="processing" text={t('test.live')} />
        ) : (
          <Badge status="default" text={t('test.settled')} />
        )
      }
    >
      <Descriptions
        column={{ xs: 1, sm: 2 }}
        size="small"
        items={[
          {
            key: 'status',
            label: t('test.status'),
            children: (
              <Badge
                status={statusColor(o.status)}
                text={<span data-testid="order-status">{t(`test.status.${o.status}`)}</span>}
              />
            ),
          },
          {
            key: 'out',
            label: t('test.outOrderId'),
            children: <Typography.Text copyable>{o.out_order_id}</Typography.Text>,
          },
          { key: 'price', label: t('test.price'), children: formatYuan(o.price) },
          {
            key: 'realprice',
            label: t('test.realprice'),
            children: <Typography.Text strong>{formatYuan(o.realprice)}</Typography.Text>,
          },
          { key: 'account', label: t('test.account'), children: `${o.account_name} (#${o.account_id})` },
          { key: 'created', label: t('test.created'), children: formatTime(o.created_at) },
          { key: 'expires', label: t('test.expires'), children: formatTime(o.expires_at) },
          { key: 'paid', label: t('test.paidAt'), children: formatTime(o.paid_at) },
        ]}
      />
      <Flex gap={8} wrap style={{ marginTop: 16 }}>
        <Button
          href={o.pay_url}
          target="_blank"
          rel="noopener noreferrer"
          icon={<ExportOutlined aria-hidden />}
        >
          {t('test.openCashier')}
        </Button>
        <Button
          type="primary"
          icon={<ThunderboltOutlined aria-hidden />}
          disabled={o.status === 'paid'}
          loading={simulate.isPending}
          onClick={() => simulate.mutate()}
        >
          {t('test.simulate')}
        </Button>
      </Flex>
      {simulate.isError && (
        <Alert type="error" showIcon title={simulateError(simulate.error, t)} style={{ marginTop: 12 }} />
      )}
      <Steps
        style={{ marginTop: 24 }}
        size="small"
        current={current}
        status={o.status === 'expired' || n?.state === 'failed' ? 'error' : notified ? 'finish' : 'process'}
        items={[
          { title: t('test.stepCreated'), description: formatTime(o.created_at) },
          {
            title: o.status === 'expired' ? t('test.status.expired') : t('test.stepPaid'),
            description: o.paid_at ? formatTime(o.paid_at) : t('test.stepPaidHint'),
          },
          {
            title: t('test.stepNotified'),
            description: n ? t(`test.notify.${n.state}`) : t('test.stepNotifiedHint'),
          },
        ]}
      />
      {n && (
        <Card size="small" type="inner" title={t('test.notification')} style={{ marginTop: 16 }}>
          <Typography.Paragraph type="secondary" style={{ wordBreak: 'break-all' }}>
            {t('test.notifyTo', { url: n.url })}
          </Typography.Paragraph>
          <Timeline
            items={[
              ...n.attempt_log.map((a) => ({
                key: `${a.at}`,
                color:
                  a.status !== null && a.status >= 200 && a.status < 300 && a.error === '' ? 'green' : 'red',
                children: (
                  <Flex vertical gap={2} data-testid="notify-attempt">
                    <Typography.Text>
                      {formatTime(a.at)} · {a.status === null ? t('test.noAnswer') : `HTTP ${a.status}`} ·{' '}
                      {a.duration_ms} ms
                    </Typography.Text>
                    <Typography.Text type="secondary">
                      {t('test.answer')}:{' '}
                      <Typography.Text code>{a.response === '' ? '∅' : a.response}</Typography.Text>
                    </Typography.Text>
                    {a.error !== '' && <Typography.Text type="danger">{a.error}</Typography.Text>}
                  </Flex>
                ),
              })),
              ...(n.state === 'pending'
                ? [
                    {
                      key: 'next',
                      color: 'gray',
                      children: n.next_attempt_at
                        ? t('test.nextAttempt', { at: formatTime(n.next_attempt_at) })
                        : t('test.sending'),
                    },
                  ]
                : []),
            ]}
          />
          <Typography.Text strong data-testid="notify-state">
            {t(`test.notify.${n.state}`)}
          </Typography.Text>
        </Card>
      )}
    </Card>
  );
}

/**
 * Test payment (测试支付): a real order of any amount (origin `test`, out_order_id `TEST-…`), its
 * real cashier page, a simulated payment, and the order turning paid and the merchant's
 * notification arriving, watched live (the order is read again every second).
 */
export default function TestPayment() {
  const t = useT();
  const qc = useQueryClient();
  const { operator, merchantId, scope } = useMerchantScope();
  const [params, setParams] = useSearchParams();
  const orderId = Number(params.get('order'));
  const watching = Number.isSafeInteger(orderId) && orderId > 0;
  const [form] = Form.useForm<{ type: PaymentType; amount: string }>();
  const ready = !operator || merchantId !== undefined;

  const accounts = useQuery({
    queryKey: ['accounts', scope],
    queryFn: () => listAccounts(scope),
    enabled: ready,
  });
  const types = new Set((accounts.data?.accounts ?? []).filter((a) => a.enabled).map((a) => a.type));
  const defaultType: PaymentType = types.has('alipay') || !types.has('wechat') ? 'alipay' : 'wechat';

  // Once the accounts are known, offer a type that has one (unless the owner already chose).
  useEffect(() => {
    if (!form.isFieldTouched('type')) form.setFieldValue('type', defaultType);
  }, [form, defaultType]);

  const order = useQuery({
    queryKey: ['test-order', orderId],
    queryFn: () => getTestOrder(orderId),
    enabled: watching,
    refetchInterval: (q) => pollEvery(q.state.data),
  });
  const create = useMutation({
    mutationFn: (v: { type: PaymentType; amount: string }) =>
      createTestOrder(scope, { type: v.type, amount: v.amount.trim() }),
    onSuccess: (s) => {
      qc.setQueryData(['test-order', s.order.id], s);
      const next = new URLSearchParams(params);
      next.set('order', String(s.order.id));
      setParams(next);
    },
  });

  return (
    <Page titleKey="nav.testPayment" extra={operator && <MerchantPicker required />}>
      {!ready ? (
        <Card>
          <EmptyState description={t('acc.pickMerchant')} />
        </Card>
      ) : (
        <Flex vertical gap={16}>
          <Card title={t('test.newTitle')}>
            <Typography.Paragraph type="secondary">{t('test.intro')}</Typography.Paragraph>
            <Form
              form={form}
              layout="vertical"
              initialValues={{ type: defaultType, amount: '0.01' }}
              onFinish={(v) => create.mutate(v)}
              style={{ maxWidth: 420 }}
            >
              <Form.Item label={t('test.type')} name="type">
                <Radio.Group optionType="button">
                  <Radio.Button value="alipay">{t('acc.type.alipay')}</Radio.Button>
                  <Radio.Button value="wechat">{t('acc.type.wechat')}</Radio.Button>
                </Radio.Group>
              </Form.Item>
              <Form.Item
                label={t('test.amount')}
                name="amount"
                rules={[
                  {
                    validator: (_, v: string | undefined) =>
                      v && parsePositiveCents(v) !== null
                        ? Promise.resolve()
                        : Promise.reject(new Error(t('test.amountInvalid'))),
                  },
                ]}
              >
                <Input prefix="¥" inputMode="decimal" />
              </Form.Item>
              {create.isError && (
                <Alert
                  type="error"
                  showIcon
                  title={createError(create.error, create.variables, t)}
                  style={{ marginBottom: 12 }}
                />
              )}
              <Button type="primary" htmlType="submit" loading={create.isPending}>
                {t('test.create')}
              </Button>
            </Form>
          </Card>
          {watching &&
            (order.isPending ? (
              <Loading />
            ) : order.isError ? (
              <ErrorState error={order.error} onRetry={() => void order.refetch()} />
            ) : (
              <OrderCard
                state={order.data}
                live={!settled(order.data)}
                onChange={(s) => qc.setQueryData(['test-order', s.order.id], s)}
              />
            ))}
        </Flex>
      )}
    </Page>
  );
}
