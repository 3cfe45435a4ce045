// The answer-quality benchmark's material: three documents of different kinds (an employee
// handbook, a product specification, a quarterly operations report), generated from a seed so the
// facts vary from run to run of a different seed, and ten questions on each, asked as a person
// would ask them (not in the documents' words), each with the fact a right answer must state.
// Every document carries near-miss facts (other numbers of the same kind, in the same vocabulary),
// so an answer that quotes the wrong sentence, or cites the wrong passage, is scored wrong.

export interface BenchQuestion {
  question: string;
  /** Any one of these, found in the answer (case-insensitive, spaces normalised), states the fact. */
  facts: string[];
}

export interface BenchDocument {
  fileName: string;
  text: string;
  questions: BenchQuestion[];
}

/** mulberry32: a small seeded generator, so a seed always gives the same documents. */
function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (low: number, high: number) => low + Math.floor(next() * (high - low + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const CITIES = ["Leeds", "Gdańsk", "Bilbao", "Aarhus", "Porto", "Tampere", "Ghent", "Brno", "Cork", "Malmö"];
const FIRST = ["Amira", "Jonas", "Priya", "Tomasz", "Elena", "Kwame", "Sofie", "Mateo", "Ingrid", "Rahul"];
const LAST = ["Okafor", "Lindqvist", "Moreau", "Novak", "Haddad", "Brennan", "Sato", "Ferreira", "Kowalczyk", "Adeyemi"];
const COMPANIES = ["Northwind Dynamics", "Halden Systems", "Corvel Energy", "Brightwater Labs", "Tessaly Group"];

function handbook(r: ReturnType<typeof seeded>, company: string): BenchDocument {
  const leave = r.int(25, 30);
  const carry = r.int(3, 8);
  const carryMonth = r.pick(MONTHS.slice(1, 5));
  const sickDays = r.int(3, 5);
  const expenseLimit = r.int(2, 9) * 100;
  const financeHead = `${r.pick(FIRST)} ${r.pick(LAST)}`;
  const reimburse = r.int(5, 12);
  const remote = r.int(2, 3);
  const probation = r.pick([3, 4, 6]);
  const notice = r.int(1, 2) * 2;
  const parental = r.int(16, 26);
  const budget = r.int(8, 20) * 100;
  const text = `# ${company} employee handbook

This handbook describes how we work together at ${company}. It applies to every employee on a permanent or fixed-term contract, in every office. Where local law gives you more, local law wins. Questions about anything here go to the people team, who aim to answer within two working days.

## Working hours

Our standard week is 38 hours. Core hours run from 10:00 to 15:00, when everyone should be reachable; outside them you plan your own day with your team. Overtime is agreed in advance with your manager and taken back as time off within three months.

## Annual leave

Full-time employees receive ${leave} days of paid annual leave per calendar year, on top of public holidays. Part-time colleagues receive the same entitlement pro rata. Up to ${carry} unused days can be carried over into the following year, and they must be taken by the end of ${carryMonth}. Please book leave at least two weeks ahead for anything longer than three days, so the team can plan around it.

## Sickness

If you are ill, tell your manager before 10:00 on the first day. Sick leave is paid in full. For the first ${sickDays} working days of an absence you only need to let us know; from day ${sickDays + 1} of an absence a doctor's certificate is required. Longer illnesses are handled with the people team and, where it helps, our occupational health service.

## Parental leave

Parents receive ${parental} weeks of fully paid parental leave, whether they give birth, adopt or become parents through surrogacy. It can be taken in up to three blocks within the first two years. Your role is kept for you, and you keep accruing annual leave while you are away.

## Expenses

Book travel through the travel portal, which applies our limits automatically. Keep every receipt; photos in the expenses app are enough. Expense claims above €${expenseLimit} must be approved by the head of finance, ${financeHead}, before they are paid; smaller claims are approved by your manager. Approved expenses are reimbursed within ${reimburse} working days, with the next payroll run at the latest.

## Working from home

After the probation period, staff may work remotely for up to ${remote} days a week, agreed with their team. We provide a laptop, a screen and a chair for home use. Laptops are replaced every three years, or sooner when they fail.

## Probation and notice

New employees start with a probation period of ${probation} months, with a review meeting halfway through. During probation, either side may end the contract with ${notice} weeks' notice. After probation the notice periods in your contract apply.

## Learning

Each employee has a learning budget of €${budget} per year for courses, books and conferences, and two days of paid study leave. Unspent budget does not carry over. Ask your manager before booking anything over €500.

## Equipment and security

Lock your screen whenever you leave your desk, use the password manager, and report lost devices to IT within 24 hours. Personal devices may be used for email only after they are enrolled in device management.`;
  return {
    fileName: "employee-handbook.md",
    text,
    questions: [
      { question: "How many days of paid holiday do full-time employees get each year?", facts: [`${leave} days`] },
      { question: "How many unused holiday days can I take into next year?", facts: [`${carry} unused days`, `${carry} days`] },
      { question: "From which day of an illness is a doctor's note needed?", facts: [`day ${sickDays + 1}`] },
      { question: "Who has to sign off on large expense claims?", facts: [financeHead] },
      { question: "How long does it take to get approved expenses paid back?", facts: [`${reimburse} working days`] },
      { question: "How many days a week can staff work remotely?", facts: [`${remote} days a week`] },
      { question: "How long is the probation period for new employees?", facts: [`${probation} months`] },
      { question: "What notice period applies during probation?", facts: [`${notice} weeks`] },
      { question: "How much paid parental leave do parents get?", facts: [`${parental} weeks`] },
      { question: "What is each employee's yearly learning budget?", facts: [`€${budget}`, `${budget} euros`, `EUR ${budget}`] },
    ],
  };
}

function productSheet(r: ReturnType<typeof seeded>, company: string): BenchDocument {
  const model = `C${r.int(3, 9)}`;
  const battery = r.pick([460, 500, 540, 625]);
  const range = r.int(9, 14) * 10;
  const charge = r.pick([3.5, 4, 4.5, 5]);
  const weight = r.pick([19.8, 21.4, 22.9, 24.1]);
  const motor = r.pick([250, 350, 500]);
  const torque = r.int(5, 8) * 10;
  const frameYears = r.pick([5, 7, 10]);
  const cycles = r.pick([800, 1000, 1200]);
  const price = r.int(24, 39) * 100 + 99;
  const month = r.pick(MONTHS);
  const year = r.int(2025, 2027);
  const plant = r.pick(CITIES);
  const text = `# Voltra ${model} Commuter: product specification

The Voltra ${model} is ${company}'s city e-bike for daily commutes of up to an hour each way. This sheet collects the specification, the service terms and the release plan for retail partners.

## Drive and battery

The rear hub motor has a rated power of ${motor} W and delivers up to ${torque} Nm of torque, with assistance up to the legal limit of 25 km/h. The removable battery holds ${battery} Wh. On a single charge the ${model} covers up to ${range} km in eco mode, or about half that in turbo mode with frequent stops. A full charge from empty takes ${charge} hours with the standard 4 A charger; an 80% charge takes roughly two thirds of that.

## Frame and weight

The frame is hydroformed aluminium in three sizes (S, M, L). Including the battery, the bike weighs ${weight} kg. The maximum total load, rider and luggage included, is 130 kg. Integrated lights, mudguards and a rear rack rated for 25 kg are standard.

## Electronics

The handlebar display shows speed, assist level, range and battery state, and pairs with the Voltra app over Bluetooth. Firmware updates arrive through the app; the release firmware is version 2.4. An alarm and GPS tracker are available as a subscription.

## Warranty and service

The frame carries a ${frameYears}-year warranty. The battery is covered for ${cycles} full charge cycles or two years, whichever comes first, and keeps at least 70% of its capacity within that period. The first service after 500 km is free at any partner workshop. Spare batteries and chargers are stocked for at least seven years after the end of sales.

## Price and availability

The recommended retail price is €${price} including VAT. Pre-orders open six weeks before launch; the ${model} goes on sale in ${month} ${year}. Every ${model} is assembled at our plant in ${plant} from frames and motors made in Europe. Retail partners receive demo bikes four weeks before the public launch.`;
  return {
    fileName: `voltra-${model.toLowerCase()}-specification.md`,
    text,
    questions: [
      { question: `How far can the ${model} go on one charge?`, facts: [`${range} km`] },
      { question: "How long does it take to charge the battery from empty?", facts: [`${charge} hours`] },
      { question: `What does the ${model} weigh?`, facts: [`${weight} kg`] },
      { question: "How powerful is the motor?", facts: [`${motor} W`] },
      { question: "What is the battery's capacity?", facts: [`${battery} Wh`] },
      { question: "How long is the frame guaranteed for?", facts: [`${frameYears}-year`, `${frameYears} years`] },
      {
        question: "For how many charge cycles is the battery covered?",
        facts: [`${cycles} full charge cycles`, `${cycles} cycles`, `${cycles} charge cycles`],
      },
      { question: `How much will the ${model} cost?`, facts: [`€${price}`, `${price} euros`, `EUR ${price}`] },
      { question: `When can customers buy the ${model}?`, facts: [`${month} ${year}`] },
      { question: "Where are the bikes assembled?", facts: [plant] },
    ],
  };
}

function operationsReport(r: ReturnType<typeof seeded>, company: string): BenchDocument {
  const quarter = r.int(1, 4);
  const year = r.int(2024, 2026);
  const revenue = (r.int(180, 420) / 10).toFixed(1);
  const growth = r.int(4, 19);
  const headcount = r.int(310, 780);
  const turbines = r.int(900, 2400);
  const incidents = r.int(1, 4);
  const depot = r.pick(CITIES);
  const depotMonth = r.pick(MONTHS);
  const customer = r.pick(["Baltic Offshore Partners", "Iberwind", "North Sea Power", "Helgoland Energy", "Atlantic Breeze"]);
  const coo = `${r.pick(FIRST)} ${r.pick(LAST)}`;
  const backlog = r.int(60, 190);
  const repair = r.int(18, 52);
  const hires = r.int(20, 90);
  const text = `# ${company} Wind Services: operations report, Q${quarter} ${year}

Prepared by the operations office for the board. Figures are unaudited and in euros unless stated otherwise.

## Summary

Revenue for the quarter was €${revenue} million, up ${growth}% on the same quarter last year, driven by long-term service contracts. Our technicians serviced ${turbines} turbines across onshore and offshore sites. Order backlog at the end of the quarter stood at €${backlog} million.

## People

Headcount reached ${headcount} employees at the end of the quarter, of whom roughly two thirds are field technicians. Voluntary turnover stayed below 6%. Chief Operating Officer ${coo} leads the field organisation and the new regional structure introduced this year.

## Safety

We recorded ${incidents} lost-time incidents this quarter, none of them serious, against a target of zero. Every incident was investigated within 48 hours and the findings were shared with all crews. Rope access refresher training was completed by 96% of eligible technicians.

## Operations

The average time to repair a turbine fault fell to ${repair} hours, from the time a fault is logged until the turbine runs again. Spare-part availability improved after the central warehouse moved to a new inventory system. A new service depot opened in ${depot} in ${depotMonth}, shortening travel to the northern sites.

## Customers

${customer} remains our largest customer, accounting for about a fifth of revenue under a contract that runs until 2030. Two new framework agreements were signed with municipal utilities.

## Outlook

For the coming quarter we expect revenue in line with this one. We plan to hire ${hires} more technicians before the winter season, mostly for offshore work, and to open applications for the next apprenticeship intake.`;
  return {
    fileName: `operations-report-q${quarter}-${year}.md`,
    text,
    questions: [
      { question: "What was revenue this quarter?", facts: [`€${revenue} million`, `${revenue} million`] },
      { question: "By how much did revenue grow compared with a year earlier?", facts: [`${growth}%`, `${growth} percent`] },
      { question: "How many people work at the company now?", facts: [`${headcount} employees`, `${headcount}`] },
      { question: "How many turbines did the technicians service?", facts: [`${turbines} turbines`, `${turbines}`] },
      { question: "How many lost-time incidents were there?", facts: [`${incidents} lost-time incidents`] },
      { question: "Where did the new service depot open?", facts: [depot] },
      { question: "Who is the largest customer?", facts: [customer] },
      { question: "Who is the chief operating officer?", facts: [coo] },
      { question: "How long does it take on average to repair a turbine fault?", facts: [`${repair} hours`] },
      { question: "How many technicians does the company plan to hire?", facts: [`${hires} more technicians`, `${hires} technicians`] },
    ],
  };
}

export function benchDocuments(seed: number): BenchDocument[] {
  const r = seeded(seed);
  const company = r.pick(COMPANIES);
  return [handbook(r, company), productSheet(r, company), operationsReport(r, company)];
}
