/**
 * The simulated company and its contacts. Numbers come from ranges reserved for fiction or
 * documentation (UK 07700 900xxx, US 555-01xx, Australia 0491 570 xxx, France 06 39 98 xx xx) and
 * addresses use the reserved .example domain, so nothing here can reach a real person.
 */
export interface Person {
  name: string;
  number: string;
  /** Registered archiver users have the email of their Microsoft 365 mailbox; external contacts have none. */
  email: string | null;
}

export const employees: readonly Person[] = [
  { name: 'Olivia Bennett', number: '+447700900101', email: 'olivia.bennett@contoso.example' },
  { name: 'Mateo García', number: '+447700900102', email: 'mateo.garcia@contoso.example' },
  { name: 'Amélie Laurent', number: '+33639980101', email: 'amelie.laurent@contoso.example' },
  { name: '陈伟 (Chen Wei)', number: '+61491570101', email: 'wei.chen@contoso.example' },
  { name: '田中 由紀', number: '+61491570102', email: 'yuki.tanaka@contoso.example' },
  { name: 'عمر حداد', number: '+447700900103', email: 'omar.haddad@contoso.example' },
  { name: 'נועה לוי', number: '+33639980102', email: 'noa.levi@contoso.example' },
  { name: 'प्रिया शर्मा', number: '+12025550101', email: 'priya.sharma@contoso.example' },
  { name: 'Дмитрий Волков', number: '+12025550102', email: 'dmitri.volkov@contoso.example' },
  { name: "Jack O'Neill", number: '+12025550103', email: 'jack.oneill@contoso.example' },
  // Registered with the archiver under an address that has no Exchange Online mailbox.
  { name: 'Sam Contractor', number: '+447700900104', email: 'sam.contractor@contoso.example' },
];

export const externalContacts: readonly Person[] = [
  { name: 'Harbor Capital', number: '+12025550150', email: null },
  { name: 'Client "Nordlys" ASA', number: '+447700900150', email: null },
  { name: 'Broker; desk 2', number: '+61491570150', email: null },
  { name: 'Unknown caller', number: '+33639980150', email: null },
  { name: 'Fatima Zahra', number: '+447700900151', email: null },
];

export const texts: readonly string[] = [
  'Can you confirm the 10:30 call? 📞',
  'Price confirmed at 101.25, sending the ticket now',
  "Let's take this offline 🤐",
  '收到，谢谢！明天见。',
  'مرحبا، هل التقرير جاهز؟',
  'שלום! נדבר מחר בבוקר',
  'Отправил файл, проверь пожалуйста 👍',
  '了解しました 🙏 資料を送ります',
  'Prix confirmé à 101,25 € — merci !',
  'नमस्ते, मीटिंग 3 बजे है',
  'Running 5 min late 🚕🚕',
  'Line one\nline two\r\nline three',
  'Quote: "best efforts"; terms <attached> & agreed',
  'Ok',
  '👍',
  'Please call me back when you land ✈️ — urgent re: the Q3 allocation',
];

export const groupNames: readonly string[] = ['Rates desk', 'FX – London/Paris', '交易组', 'Client: Harbor Capital', 'Ops "night" shift'];
