import { ArrowLeftOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App as AntApp,
  Button,
  Card,
  Descriptions,
  Flex,
  Form,
  Input,
  Modal,
  Popconfirm,
  Result,
  Space,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import {
  ApiError,
  attachPayment,
  errorMessage,
  getOrder,
  markOrderPaid,
  type NotifyState,
  type OrderDetail,
  type OrderState,
  resendNotification,
  type TimelineEvent,
} from '../api';
import { Page } from '../components/Page';
import { Loading } from '../components/PageState';
import { type MessageKey, useT } from '../i18n';
import { formatYuan } from '../money';
import { useSession } from '../session';
import { formatTime } from '../time';
import { TypeTag } from './Accounts';

type T = ReturnType<typeof useT>;

const STATE_COLOR: Record<OrderState, string> = { unpaid: 'processing', paid: 'success', expired: 'default' };
const NOTIFY_COLOR: Record<NotifyState, string> = {
  pending: 'processing',
  delivered: 'success',
  failed: 'error',
};

export function OrderStateTag(props: { state: OrderState }) {
  const t = useT();
  return <Tag color={STATE_COLOR[props.state]}>{t(`ord.state.${props.state}`)}</Tag>;
}

export function NotifyTag(props: { state: NotifyState | null }) {
  const t = useT();
  if (props.state === null) return <Typography.Text type="secondary">—</Typography.Text>;
  return <Tag color={NOTIFY_COLOR[props.state]}>{t(`ntf.state.${props.state}`)}</Tag>;
}

/** Tags an order is marked with everywhere: test orders, quick collection, late, oversold. */
export function OrderMarks(props: { order: { origin: string; late: boolean; oversold: boolean } }) {
  const t = useT();
  const o = props.order;
  return (
    <>
      {o.origin === 'test' && <Tag color="purple">{t('ord.test')}</Tag>}
      {o.origin === 'quick' && <Tag>{t('ord.quick')}</Tag>}
      {o.late && <Tag color="orange">{t('ord.late')}</Tag>}
      {o.oversold && <Tag color="red">{t('ord.oversold')}</Tag>}
    </>
  );
}

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

function sourceWord(t: T, source: unknown): string {
  const key = `ord.source.${str(source)}`;
  return ['monitor', 'vmq', 'simulate', 'manual'].includes(str(source)) ? t(key as MessageKey) : str(source);
}

/** One timeline entry in words: a headline and the lines below it. */
function describe(t: T, e: TimelineEvent): { title: string; lines: string[]; color: string } {
  const d = e.detail;
  switch (e.kind) {
    case 'created':
      return {
        title:
          d.origin === 'quick'
            ? t('ord.tl.created.quick')
            : d.origin === 'test'
              ? t('ord.tl.created.test')
              : t('ord.tl.created', { endpoint: str(d.endpoint) }),
        lines: [],
        color: 'blue',
      };
    case 'held':
      return {
        title: t('ord.tl.held', { realprice: str(d.realprice), account: str(d.account_name) }),
        lines: [t('ord.tl.heldUntil', { time: formatTime(Number(d.hold_until)) })],
        color: 'blue',
      };
    case 'expires':
      return { title: t('ord.tl.expires'), lines: [], color: 'gray' };
    case 'expired':
      return { title: t('ord.tl.expired'), lines: [], color: 'gray' };
    case 'payment_reported': {
      const lines = [
        t('ord.tl.paymentFields', { paid: formatTime(Number(d.paid_at)), reporter: str(d.reporter_id) }),
      ];
      if (d.payer) lines.push(t('ord.tl.payer', { payer: str(d.payer) }));
      if (d.memo) lines.push(t('ord.tl.memo', { memo: str(d.memo) }));
      return {
        title: t('ord.tl.payment_reported', { amount: str(d.amount), source: sourceWord(t, d.source) }),
        lines,
        color: 'green',
      };
    }
    case 'paid': {
      const how = ['matched', 'simulated', 'attached', 'marked_paid'].includes(str(d.how))
        ? str(d.how)
        : 'matched';
      const lines: string[] = [];
      if (d.reason) lines.push(t('ord.tl.reason', { reason: str(d.reason) }));
      if (d.late) lines.push(t('ord.tl.lateNote'));
      if (d.oversold) lines.push(t('ord.tl.oversoldNote'));
      return { title: t(`ord.tl.paid.${how}` as MessageKey, { actor: str(d.actor) }), lines, color: 'green' };
    }
    case 'oversold':
      return { title: t('ord.tl.oversold'), lines: [], color: 'red' };
    case 'notification_queued':
      return { title: t('ord.tl.notification_queued', { url: str(d.url) }), lines: [], color: 'blue' };
    case 'notification_attempt': {
      const ok = d.ok === true;
      const status = d.status === null ? t('ord.tl.noStatus') : `HTTP ${str(d.status)}`;
      const lines: string[] = [];
      if (d.trigger === 'manual') lines.push(t('ord.tl.attemptManual'));
      if (d.answer) lines.push(t('ord.tl.answer', { answer: str(d.answer).slice(0, 200) }));
      if (!ok && d.error) lines.push(t('ord.tl.error', { error: str(d.error) }));
      return {
        title: ok
          ? t('ord.tl.notification_attempt.ok', { status: str(d.status), ms: str(d.duration_ms) })
          : t('ord.tl.notification_attempt.fail', { status, ms: str(d.duration_ms) }),
        lines,
        color: ok ? 'green' : 'red',
      };
    }
    case 'notification_next':
      return { title: t('ord.tl.notification_next'), lines: [], color: 'gray' };
    case 'notification_gave_up':
      return { title: t('ord.tl.notification_gave_up', { n: str(d.attempts) }), lines: [], color: 'red' };
    case 'notification_resend':
      return { title: t('ord.tl.notification_resend', { actor: str(d.actor) }), lines: [], color: 'blue' };
    default:
      return { title: e.kind, lines: [], color: 'gray' };
  }
}

function OrderTimeline(props: { events: TimelineEvent[] }) {
  const t = useT();
  return (
    <Timeline
      items={props.events.map((e, i) => {
        const { title, lines, color } = describe(t, e);
        return {
          key: `${e.kind}-${i}`,
          color: e.upcoming ? 'gray' : color,
          content: (
            <div>
              <Typography.Text strong={!e.upcoming} type={e.upcoming ? 'secondary' : undefined}>
                {title}
              </Typography.Text>
              <div>
                <Typography.Text type="secondary">
                  {formatTime(e.at)}
                  {e.upcoming ? ` · ${t('ord.tl.upcoming')}` : ''}
                </Typography.Text>
              </div>
              {lines.map((l, j) => (
                <div key={j} style={{ overflowWrap: 'anywhere' }}>
                  <Typography.Text type="secondary">{l}</Typography.Text>
                </div>
              ))}
            </div>
          ),
        };
      })}
    />
  );
}

function MarkPaid(props: { order: OrderDetail['order']; onDone: () => void }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<{ reason: string }>();
  const mutation = useMutation({
    mutationFn: (reason: string) => markOrderPaid(props.order.id, reason),
    onSuccess: () => {
      setOpen(false);
      props.onDone();
    },
  });
  return (
    <>
      <Button danger onClick={() => setOpen(true)}>
        {t('ord.action.markPaid')}
      </Button>
      <Modal
        open={open}
        title={t('ord.action.markPaidTitle')}
        okText={t('ord.action.confirm')}
        cancelText={t('ord.action.cancel')}
        okButtonProps={{ danger: true, loading: mutation.isPending, htmlType: 'submit', form: 'mark-paid' }}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <Typography.Paragraph>
          {t('ord.action.markPaidHint', { amount: props.order.realprice })}
        </Typography.Paragraph>
        <Form form={form} id="mark-paid" layout="vertical" onFinish={(v) => mutation.mutate(v.reason.trim())}>
          <Form.Item
            label={t('ord.action.reason')}
            name="reason"
            rules={[{ required: true, whitespace: true, max: 500, message: t('ord.action.reasonRequired') }]}
          >
            <Input.TextArea rows={3} maxLength={500} />
          </Form.Item>
        </Form>
        {mutation.isError && <Alert type="error" showIcon title={errorMessage(mutation.error)} />}
      </Modal>
    </>
  );
}

function CandidatePayments(props: { detail: OrderDetail; onDone: () => void }) {
  const t = useT();
  const { message } = AntApp.useApp();
  const attach = useMutation({
    mutationFn: (paymentId: number) => attachPayment(paymentId, props.detail.order.id),
    onSuccess: () => {
      void message.success(t('pay.attached', { order: props.detail.order.id }));
      props.onDone();
    },
    onError: (err) => void message.error(errorMessage(err)),
  });
  const rows = props.detail.candidate_payments;
  return (
    <Card size="small" title={t('ord.action.attachTitle')}>
      <Typography.Paragraph type="secondary">{t('ord.action.attachHint')}</Typography.Paragraph>
      {rows.length === 0 ? (
        <Typography.Text type="secondary">{t('ord.action.noCandidates')}</Typography.Text>
      ) : (
        <Table
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={rows}
          scroll={{ x: 'max-content' }}
          columns={[
            { title: t('pay.amount'), key: 'amount', render: (_, p) => formatYuan(p.amount) },
            { title: t('pay.difference'), key: 'diff', render: (_, p) => p.amount_difference },
            { title: t('pay.paidAt'), key: 'paid', render: (_, p) => formatTime(p.paid_at) },
            { title: t('pay.why'), key: 'why', render: (_, p) => noteWords(t, p.match_note) },
            {
              title: t('ord.detail.actions'),
              key: 'attach',
              render: (_, p) => (
                <Popconfirm
                  title={t('ord.action.attachConfirm', { amount: p.amount, order: props.detail.order.id })}
                  okText={t('ord.action.confirm')}
                  cancelText={t('ord.action.cancel')}
                  onConfirm={() => attach.mutate(p.id)}
                >
                  <Button size="small" type="primary" loading={attach.isPending && attach.variables === p.id}>
                    {t('ord.action.attach')}
                  </Button>
                </Popconfirm>
              ),
            },
          ]}
        />
      )}
    </Card>
  );
}

export function noteWords(t: T, note: string): string {
  return ['no_order', 'ambiguous', 'order_paid'].includes(note)
    ? t(`pay.note.${note}` as MessageKey)
    : t('pay.note.unknown');
}

/** An order's page content: summary, the request, its history as a timeline, and the actions. */
export function OrderDetailView(props: { id: number; onChanged?: () => void }) {
  const t = useT();
  const qc = useQueryClient();
  const { message } = AntApp.useApp();
  const session = useSession();
  const operator = session.data?.user.role === 'operator';
  const query = useQuery({ queryKey: ['order', props.id], queryFn: () => getOrder(props.id) });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['order', props.id] });
    void qc.invalidateQueries({ queryKey: ['orders'] });
    void qc.invalidateQueries({ queryKey: ['notifications'] });
    void qc.invalidateQueries({ queryKey: ['unmatched'] });
    props.onChanged?.();
  };
  const resend = useMutation({
    mutationFn: () => resendNotification(props.id),
    onSuccess: (r) => {
      const state = t(`ntf.state.${r.state}`);
      if (r.state === 'delivered') void message.success(t('ord.action.resendDone', { state }));
      else void message.warning(`${t('ord.action.resendDone', { state })} ${r.error}`);
      refresh();
    },
    onError: (err) => void message.error(errorMessage(err)),
  });

  if (query.isPending) return <Loading />;
  if (query.isError) {
    const missing = query.error instanceof ApiError && query.error.status === 404;
    return (
      <Result
        status={missing ? '404' : 'error'}
        title={missing ? t('ord.detail.notFound') : t('state.error')}
        subTitle={errorMessage(query.error)}
      />
    );
  }
  const d = query.data;
  const o = d.order;
  return (
    <Flex vertical gap={16}>
      <Descriptions
        size="small"
        bordered
        column={{ xs: 1, sm: 1, md: 2 }}
        title={t('ord.detail.summary')}
        items={[
          {
            key: 'state',
            label: t('ord.state'),
            children: (
              <Space size={4} wrap>
                <OrderStateTag state={o.state} />
                <OrderMarks order={o} />
              </Space>
            ),
          },
          { key: 'out', label: t('ord.outOrderId'), children: o.out_order_id },
          { key: 'price', label: t('ord.amount'), children: formatYuan(o.price) },
          { key: 'realprice', label: t('ord.realprice'), children: formatYuan(o.realprice) },
          { key: 'paid', label: t('ord.paid'), children: formatYuan(o.paid_amount) },
          {
            key: 'account',
            label: t('ord.account'),
            children: (
              <Space size={4} wrap>
                <TypeTag type={o.type} />
                {o.account_name}
              </Space>
            ),
          },
          { key: 'created', label: t('ord.created'), children: formatTime(o.created_at) },
          { key: 'expires', label: t('ord.detail.expiresAt'), children: formatTime(o.expires_at) },
          { key: 'paidAt', label: t('ord.detail.paidAt'), children: formatTime(o.paid_at) },
          { key: 'hold', label: t('ord.detail.holdUntil'), children: formatTime(o.hold_until) },
          { key: 'notify', label: t('ord.notify'), children: <NotifyTag state={o.notify_state} /> },
          {
            key: 'pay',
            label: t('ord.detail.payUrl'),
            children: (
              <Typography.Link href={o.pay_url} target="_blank" rel="noreferrer">
                {t('ord.detail.open')}
              </Typography.Link>
            ),
          },
        ]}
      />
      <Descriptions
        size="small"
        bordered
        column={1}
        title={t('ord.detail.request')}
        items={d.request.map((p) => ({
          key: p.name,
          label: <Typography.Text code>{p.name}</Typography.Text>,
          children: <span style={{ overflowWrap: 'anywhere' }}>{p.value === '' ? '—' : p.value}</span>,
        }))}
      />
      <Typography.Text type="secondary" style={{ marginTop: -8 }}>
        {t('ord.detail.requestHint')}
      </Typography.Text>
      {d.items.length > 0 && (
        <Card size="small" title={t('ord.detail.items')}>
          <Table
            size="small"
            rowKey="product_id"
            pagination={false}
            dataSource={d.items}
            columns={[
              { title: 'ID', dataIndex: 'product_id', key: 'id' },
              { title: t('ord.detail.items'), key: 'name', render: (_, i) => i.name ?? '—' },
              { title: t('ord.detail.quantity'), dataIndex: 'quantity', key: 'q', align: 'right' },
              {
                title: t('ord.detail.price'),
                key: 'p',
                align: 'right',
                render: (_, i) => formatYuan(i.price),
              },
            ]}
          />
        </Card>
      )}
      <Card size="small" title={t('ord.detail.timeline')}>
        <OrderTimeline events={d.timeline} />
        {d.redirect && (
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0, overflowWrap: 'anywhere' }}>
            {t(`ord.detail.redirect.${d.redirect.kind}`)}:{' '}
            <Typography.Text code>{d.redirect.url}</Typography.Text> {t('ord.detail.redirectHint')}
          </Typography.Paragraph>
        )}
      </Card>
      {(d.can.resend_notification || d.can.mark_paid) && (
        <Card size="small" title={t('ord.detail.actions')}>
          <Space wrap>
            {d.can.resend_notification && (
              <Button type="primary" loading={resend.isPending} onClick={() => resend.mutate()}>
                {t('ord.action.resend')}
              </Button>
            )}
            {d.can.mark_paid &&
              (operator ? (
                <MarkPaid order={o} onDone={refresh} />
              ) : (
                <Typography.Text type="secondary">{t('ord.action.operatorOnly')}</Typography.Text>
              ))}
          </Space>
        </Card>
      )}
      {d.can.attach_payment && <CandidatePayments detail={d} onDone={refresh} />}
    </Flex>
  );
}

/** `/admin/orders/:id`: an order on its own page (links from notifications and payments). */
export default function OrderDetailPage() {
  const t = useT();
  const { id } = useParams();
  const orderId = Number(id);
  return (
    <Page
      titleKey="nav.orders"
      extra={
        <Link to="/orders">
          <ArrowLeftOutlined aria-hidden /> {t('ord.detail.back')}
        </Link>
      }
    >
      <Typography.Title level={4} style={{ marginTop: 0 }}>
        {t('ord.detail.title', { id: Number.isSafeInteger(orderId) ? orderId : '?' })}
      </Typography.Title>
      {Number.isSafeInteger(orderId) && orderId > 0 ? (
        <OrderDetailView id={orderId} />
      ) : (
        <Result status="404" title={t('ord.detail.notFound')} />
      )}
    </Page>
  );
}
