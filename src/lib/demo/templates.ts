/** The two demo inspection templates, together covering every question kind (some required). */
import type { TemplateBody } from '../domain/inspection';

/** Template keys (`template:<key>`) and their forms. */
export const DEMO_TEMPLATES: Record<string, TemplateBody> = {
  'fridge-check': {
    title: 'Fridge / cold-chain check',
    description: 'Temperatures, seals and stock rotation of the chilled display.',
    sections: [
      {
        id: 'temperatures',
        title: 'Temperatures',
        questions: [
          {
            id: 'fridge_temp',
            kind: 'number',
            label: 'Display fridge temperature',
            help: 'Read the probe thermometer, not the dial.',
            unit: '°C',
            min: -5,
            max: 12,
            required: true,
          },
          {
            id: 'freezer_temp',
            kind: 'number',
            label: 'Freezer temperature',
            unit: '°C',
            min: -30,
            max: 0,
          },
          {
            id: 'log_kept',
            kind: 'yesno',
            label: 'Is the temperature log filled in for today?',
            required: true,
          },
        ],
      },
      {
        id: 'condition',
        title: 'Condition',
        questions: [
          {
            id: 'seals',
            kind: 'choice',
            label: 'Door seals',
            options: ['Good', 'Worn', 'Broken'],
            required: true,
          },
          {
            id: 'rotation',
            kind: 'yesno',
            label: 'Oldest stock at the front (first in, first out)?',
          },
          { id: 'fridge_photo', kind: 'photo', label: 'Photo of the display' },
        ],
      },
      {
        id: 'sign-off',
        title: 'Sign-off',
        questions: [
          {
            id: 'remarks',
            kind: 'text',
            label: 'Remarks for the store',
            multiline: true,
          },
          {
            id: 'store_signature',
            kind: 'signature',
            label: 'Store manager signature',
            required: true,
          },
        ],
      },
    ],
  },
  'safety-walk': {
    title: 'Store safety walk',
    description: 'A short walk of the sales floor and the stock room.',
    sections: [
      {
        id: 'floor',
        title: 'Sales floor',
        questions: [
          {
            id: 'aisles_clear',
            kind: 'yesno',
            label: 'Aisles clear of boxes and spills?',
            required: true,
          },
          {
            id: 'exits',
            kind: 'choice',
            label: 'Emergency exits',
            options: ['Clear and signed', 'Blocked', 'Sign missing'],
            required: true,
          },
        ],
      },
      {
        id: 'stock-room',
        title: 'Stock room',
        questions: [
          {
            id: 'extinguishers',
            kind: 'number',
            label: 'Fire extinguishers in date',
            min: 0,
            max: 20,
            required: true,
          },
          { id: 'hazard_photo', kind: 'photo', label: 'Photo of any hazard' },
          { id: 'hazards', kind: 'text', label: 'Hazards found', multiline: true },
        ],
      },
      {
        id: 'sign-off',
        title: 'Sign-off',
        questions: [
          {
            id: 'rep_signature',
            kind: 'signature',
            label: 'Your signature',
            required: true,
          },
        ],
      },
    ],
  },
};
